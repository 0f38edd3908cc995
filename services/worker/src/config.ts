/**
 * The worker's configuration, from environment variables (README.md lists each with its default).
 * `loadConfig(env)` validates everything and throws one ConfigError listing every problem.
 */
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';

import type { PromptWording } from '@fedkseed/data';
import { parseBackendPreference, type BackendPreference } from '@fedkseed/models';
import { EnvReader, readRedisConnection, type Env, type LogLevel, type RedisConnection } from '@fedkseed/process-kit';
import type { SyncMode, TlsOptions } from '@fedkseed/sdk';

import type { DollySplitSpec } from './worker-data';

export interface WorkerQueueSettings {
  /** BullMQ queue of the run's train jobs (the aggregator's QUEUE_NAME). */
  queueName: string;
  /** The Redis of the queue (URL, password, TLS). */
  redis: RedisConnection;
  /** Jobs trained at once by this process (one model replica each). */
  concurrency: number;
  /** How often this worker looks for jobs whose worker died (ms). */
  stalledIntervalMs: number;
  /** How long a job's lock lives unless renewed (ms): a dead worker's job is retried after it. */
  lockDurationMs: number;
  /** Times a job may be taken back from a dead worker before it fails. */
  maxStalledCount: number;
  /** This worker's name on the jobs it takes. */
  workerName: string;
}

export interface WorkerConfig {
  /** host:port of the aggregator. */
  aggregatorAddress: string;
  /** TLS towards the aggregator; insecure when absent. */
  aggregatorTls?: TlsOptions | true;
  /** Deadline of each call to the aggregator (ms). */
  callTimeoutMs: number;
  /** The run's join secret. */
  joinSecret: string;
  queue: WorkerQueueSettings;
  /** tfjs backend (FEDKSEED_BACKEND). */
  backend: BackendPreference;
  /** The run's base model w0: a Hugging Face checkpoint directory. */
  modelDir: string;
  /** The population's data. */
  data: DollySplitSpec;
  /** Split clients that devices train with the SDK (DEVICE_CLIENT_INDICES): this worker leaves them alone. */
  deviceClientIndices: number[];
  promptWording: PromptWording;
  sync: SyncMode;
  /** On SIGTERM, how long the job in progress may take to finish before it is put back in the queue (ms). */
  drainGraceMs: number;
  logLevel: LogLevel;
  /** Interface of the metrics server (METRICS_HOST). */
  metricsHost: string;
  /** Port of /metrics, /healthz and /readyz (METRICS_PORT); 0 picks a free one. */
  metricsPort: number;
}

const ADDRESS_PATTERN = /^[^\s]+:\d+$/;
const QUEUE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Reads and validates the whole configuration; throws one ConfigError listing every problem. */
export function loadConfig(env: Env): WorkerConfig {
  const e = new EnvReader(env);
  const aggregatorAddress = e.requiredString('AGGREGATOR_ADDRESS', { pattern: ADDRESS_PATTERN });
  const caFile = e.file('AGGREGATOR_TLS_CA_FILE');
  const certFile = e.file('AGGREGATOR_TLS_CERT_FILE');
  const keyFile = e.file('AGGREGATOR_TLS_KEY_FILE');
  const tlsOn = e.bool('AGGREGATOR_TLS', { default: caFile !== undefined || certFile !== undefined });
  if ((certFile === undefined) !== (keyFile === undefined))
    e.problem('AGGREGATOR_TLS_CERT_FILE and AGGREGATOR_TLS_KEY_FILE must be set together (mutual TLS)');
  if (!tlsOn && (caFile !== undefined || certFile !== undefined))
    e.problem('AGGREGATOR_TLS=false contradicts the AGGREGATOR_TLS_*_FILE settings');
  const callTimeoutMs = e.int('CALL_TIMEOUT_MS', { default: 30_000, min: 1 });
  const joinSecret = e.secret('FEDKSEED_JOIN_SECRET', { minBytes: 16, required: true }) ?? '';

  const redis = readRedisConnection(e, { required: true }) ?? { url: '' };
  const queue: WorkerQueueSettings = {
    queueName: e.requiredString('QUEUE_NAME', { pattern: QUEUE_NAME_PATTERN }),
    redis,
    concurrency: e.int('CONCURRENCY', { default: 1, min: 1 }),
    stalledIntervalMs: e.int('STALLED_INTERVAL_MS', { default: 30_000, min: 1 }),
    lockDurationMs: e.int('LOCK_DURATION_MS', { default: 30_000, min: 1 }),
    maxStalledCount: e.int('MAX_STALLED_COUNT', { default: 1, min: 0 }),
    workerName:
      e.string('WORKER_NAME', { maxLength: 128 }) ??
      `${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 64)}-${process.pid}`,
  };

  let backend: BackendPreference = 'auto';
  try {
    backend = parseBackendPreference(e.string('FEDKSEED_BACKEND'));
  } catch (err) {
    e.problem((err as Error).message);
  }
  const modelDir = e.requiredString('MODEL_DIR');
  if (modelDir) {
    try {
      accessSync(path.join(modelDir, 'config.json'), constants.R_OK);
    } catch {
      e.problem(`MODEL_DIR must be a model directory with a readable config.json, got ${JSON.stringify(modelDir)}`);
    }
  }
  const data: DollySplitSpec = {
    file: e.file('DATA_FILE', { required: true }) ?? '',
    numClients: e.int('NUM_CLIENTS', { default: 200, min: 1 }),
    dirichletAlpha: e.number('DIRICHLET_ALPHA', { default: 0.5, greaterThan: 0 }),
    heldOutCategory: e.string('HELD_OUT_CATEGORY', { default: 'summarization' }) ?? 'summarization',
    minPerClient: e.int('MIN_EXAMPLES_PER_CLIENT', { default: 10, min: 1 }),
    dataSeed: e.int('DATA_SEED', { default: 42, min: 0 }),
  };
  const deviceClientIndices: number[] = [];
  for (const item of (e.string('DEVICE_CLIENT_INDICES') ?? '').split(',').map((x) => x.trim())) {
    if (item === '') continue;
    const index = Number(item);
    if (!Number.isSafeInteger(index) || index < 0 || index >= data.numClients)
      e.problem(`DEVICE_CLIENT_INDICES: '${item}' is not a client index in 0..${data.numClients - 1}`);
    else deviceClientIndices.push(index);
  }
  if (deviceClientIndices.length >= data.numClients)
    e.problem('DEVICE_CLIENT_INDICES names every client: the worker would have none to train');
  const promptWording = e.oneOf('PROMPT_WORDING', ['alpaca', 'fedkseed-dolly'] as const, { default: 'alpaca' });
  const sync = e.oneOf('SYNC', ['catch-up', 'exact'] as const, { default: 'catch-up' });
  const drainGraceMs = e.int('DRAIN_GRACE_MS', { default: 25_000, min: 0 });
  const logLevel = e.logLevel();
  const metricsHost = e.string('METRICS_HOST', { default: '0.0.0.0' })!;
  const metricsPort = e.port('METRICS_PORT', { default: 9464 });
  e.finish();

  const config: WorkerConfig = {
    aggregatorAddress,
    callTimeoutMs,
    joinSecret,
    queue,
    backend,
    modelDir,
    data,
    deviceClientIndices,
    promptWording,
    sync,
    drainGraceMs,
    logLevel,
    metricsHost,
    metricsPort,
  };
  if (tlsOn)
    config.aggregatorTls =
      caFile === undefined && certFile === undefined
        ? true
        : {
            ...(caFile !== undefined ? { ca: { file: caFile } } : {}),
            ...(certFile !== undefined ? { cert: { file: certFile } } : {}),
            ...(keyFile !== undefined ? { key: { file: keyFile } } : {}),
          };
  return config;
}
