import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { ConfigError } from '@fedkseed/process-kit';

import { loadConfig } from './config';

const dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-worker-config-'));
writeFileSync(path.join(dir, 'config.json'), '{}');
writeFileSync(path.join(dir, 'data.jsonl'), '');
writeFileSync(path.join(dir, 'ca.pem'), '');

const REQUIRED = {
  AGGREGATOR_ADDRESS: 'aggregator:50051',
  FEDKSEED_JOIN_SECRET: 'j'.repeat(16),
  REDIS_URL: 'redis://redis:6379',
  QUEUE_NAME: 'run-1.train',
  MODEL_DIR: dir,
  DATA_FILE: path.join(dir, 'data.jsonl'),
};

describe('loadConfig', () => {
  it('fills in the documented defaults', () => {
    const config = loadConfig({ ...REQUIRED, WORKER_NAME: 'w-1' });
    expect(config).toEqual({
      aggregatorAddress: 'aggregator:50051',
      callTimeoutMs: 30_000,
      joinSecret: REQUIRED.FEDKSEED_JOIN_SECRET,
      queue: {
        queueName: 'run-1.train',
        redis: { url: 'redis://redis:6379' },
        concurrency: 1,
        stalledIntervalMs: 30_000,
        lockDurationMs: 30_000,
        maxStalledCount: 1,
        workerName: 'w-1',
      },
      backend: 'auto',
      modelDir: dir,
      data: {
        file: REQUIRED.DATA_FILE,
        numClients: 200,
        dirichletAlpha: 0.5,
        heldOutCategory: 'summarization',
        minPerClient: 10,
        dataSeed: 42,
      },
      deviceClientIndices: [],
      promptWording: 'alpaca',
      sync: 'catch-up',
      drainGraceMs: 25_000,
      logLevel: 'info',
      metricsHost: '0.0.0.0',
      metricsPort: 9464,
    });
  });

  it('reads the split clients that devices train', () => {
    expect(loadConfig({ ...REQUIRED, NUM_CLIENTS: '10', DEVICE_CLIENT_INDICES: '9, 3' }).deviceClientIndices).toEqual([
      9, 3,
    ]);
    expect(() => loadConfig({ ...REQUIRED, NUM_CLIENTS: '10', DEVICE_CLIENT_INDICES: '10,x' })).toThrow(
      /'10' is not a client index in 0\.\.9[\s\S]*'x' is not a client index/,
    );
    expect(() => loadConfig({ ...REQUIRED, NUM_CLIENTS: '2', DEVICE_CLIENT_INDICES: '0,1' })).toThrow(
      /names every client/,
    );
  });

  it('reads TLS towards the aggregator: system roots, a private CA, mutual TLS', () => {
    expect(loadConfig({ ...REQUIRED, AGGREGATOR_TLS: 'true' }).aggregatorTls).toBe(true);
    const ca = path.join(dir, 'ca.pem');
    expect(loadConfig({ ...REQUIRED, AGGREGATOR_TLS_CA_FILE: ca }).aggregatorTls).toEqual({ ca: { file: ca } });
    expect(
      loadConfig({ ...REQUIRED, AGGREGATOR_TLS_CERT_FILE: ca, AGGREGATOR_TLS_KEY_FILE: ca }).aggregatorTls,
    ).toEqual({ cert: { file: ca }, key: { file: ca } });
    expect(loadConfig(REQUIRED).aggregatorTls).toBeUndefined();
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        AGGREGATOR_ADDRESS: 'no-port',
        FEDKSEED_JOIN_SECRET: 'short',
        REDIS_URL: 'localhost:6379',
        QUEUE_NAME: 'a:b',
        CONCURRENCY: '0',
        STALLED_INTERVAL_MS: 'soon',
        FEDKSEED_BACKEND: 'gpu',
        MODEL_DIR: path.join(dir, 'missing'),
        DATA_FILE: path.join(dir, 'missing.jsonl'),
        DIRICHLET_ALPHA: '0',
        SYNC: 'sometimes',
        AGGREGATOR_TLS_CERT_FILE: path.join(dir, 'ca.pem'),
        AGGREGATOR_TLS: 'false',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    for (const expected of [
      'AGGREGATOR_ADDRESS must match',
      'FEDKSEED_JOIN_SECRET must be at least 16 bytes',
      'REDIS_URL must be a redis:// or rediss:// URL',
      'QUEUE_NAME must match',
      'CONCURRENCY must be >= 1',
      'STALLED_INTERVAL_MS must be an integer',
      'unknown backend "gpu"',
      'MODEL_DIR must be a model directory',
      'DATA_FILE must name a readable file',
      'DIRICHLET_ALPHA must be > 0',
      'SYNC must be one of catch-up, exact',
      'AGGREGATOR_TLS_CERT_FILE and AGGREGATOR_TLS_KEY_FILE must be set together',
      'AGGREGATOR_TLS=false contradicts',
    ])
      expect(problems.join('\n')).toContain(expected);
    expect(problems).toHaveLength(13);
    expect((error as Error).message).not.toContain('short');
  });
});
