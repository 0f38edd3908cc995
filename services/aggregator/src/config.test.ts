import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { ConfigError } from '@fedkseed/process-kit';

import { ClientAuth } from './auth';
import { loadConfig, loadOperatorTokenConfig } from './config';

const REQUIRED = {
  RUN_ID: 'run-1',
  RUN_SEED: '12345678901234567890',
  FEDKSEED_TOKEN_SECRET: 't'.repeat(32),
  FEDKSEED_JOIN_SECRET: 'j'.repeat(16),
};

describe('loadConfig', () => {
  it('fills in the documented defaults', () => {
    const config = loadConfig({ ...REQUIRED, REPLICA_ID: 'replica-a' });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 50051,
      logLevel: 'info',
      drainGraceMs: 10_000,
      metricsPort: 9464,
      storeCommandTimeoutMs: 2000,
      tokenSecret: REQUIRED.FEDKSEED_TOKEN_SECRET,
      joinSecret: REQUIRED.FEDKSEED_JOIN_SECRET,
      joinSecrets: [{ name: 'default', secret: REQUIRED.FEDKSEED_JOIN_SECRET, maxRegistrations: 100_000 }],
      maxClients: 100_000,
      replicaId: 'replica-a',
      run: {
        runId: 'run-1',
        numCandidateSeeds: 4096,
        numLocalSteps: 200,
        zoEps: 5e-4,
        zoLr: 3e-7,
        runSeed: 12345678901234567890n,
        seedSampling: 'uniform',
        aggregationWeighting: 'data-size',
        importanceClip: 1000,
        importanceGradInitial: 0,
        batchSize: 1,
        maxSequenceLength: 1024,
        gradClip: 0,
        baseModelId: '',
        allowLossyCatchUp: true,
        numRounds: 0,
        scalarClip: 1000,
        aggregationRule: 'mean',
        aggregationTrimFraction: 0.1,
      },
      rounds: {
        clientFraction: 0.05,
        minClientsPerRound: 1,
        minRegisteredClients: 1,
        quorumFraction: 1,
        roundDeadlineMs: 600_000,
        closeLeaseMs: 30_000,
        pollIntervalMs: 1000,
        taskRetryAfterMs: 1000,
        idleRetryAfterMs: 60_000,
      },
      callLimits: { clientRatePerS: 20, clientBurst: 100, registrationRatePerS: 100, registrationBurst: 1000 },
    });
    expect(loadConfig(REQUIRED).replicaId).toMatch(/^[A-Za-z0-9._-]+-\d+-[0-9a-f]{6}$/);
  });

  it('reads Redis, FedKSeed-Pro with a seed-probability service, and TLS towards it', () => {
    const config = loadConfig({
      ...REQUIRED,
      REDIS_URL: 'redis://redis:6379/0',
      SEED_SAMPLING: 'importance',
      AGGREGATION_WEIGHTING: 'equal',
      SEED_PROBABILITY_ADDRESS: 'seed-probability:50052',
      SEED_PROBABILITY_TLS: 'true',
      SEED_PROBABILITY_TOKEN: 'svc',
      QUEUE_NAME: 'run-1.train',
      QUEUE_ATTEMPTS: '5',
    });
    expect(config.redis).toEqual({ url: 'redis://redis:6379/0' });
    expect(config.jobQueue).toEqual({ queueName: 'run-1.train', attempts: 5, backoffMs: 5000 });
    expect(config.run).toMatchObject({ seedSampling: 'importance', aggregationWeighting: 'equal' });
    expect(config.seedProbability).toEqual({
      address: 'seed-probability:50052',
      tls: {},
      token: 'svc',
      callTimeoutMs: 5000,
    });
  });

  it('reads extra join secrets from a file, each with its bound, and never quotes a secret in a problem', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-join-'));
    try {
      const file = path.join(dir, 'join-secrets');
      writeFileSync(file, '# cohorts\nclinic-a  clinic-a-secret-0123 50\n\nclinic-b clinic-b-secret-0123\n');
      const config = loadConfig({
        ...REQUIRED,
        FEDKSEED_JOIN_SECRETS_FILE: file,
        MAX_REGISTRATIONS_PER_JOIN_SECRET: '7',
      });
      expect(config.joinSecrets).toEqual([
        { name: 'default', secret: REQUIRED.FEDKSEED_JOIN_SECRET, maxRegistrations: 7 },
        { name: 'clinic-a', secret: 'clinic-a-secret-0123', maxRegistrations: 50 },
        { name: 'clinic-b', secret: 'clinic-b-secret-0123', maxRegistrations: 7 },
      ]);
      writeFileSync(
        file,
        [
          'default some-other-secret-0123',
          'x short',
          `y ${REQUIRED.FEDKSEED_TOKEN_SECRET}`,
          'z clinic-z-secret-0123 -1',
          `w ${REQUIRED.FEDKSEED_JOIN_SECRET}`,
          'lonely',
        ].join('\n'),
      );
      let error: unknown;
      try {
        loadConfig({ ...REQUIRED, FEDKSEED_JOIN_SECRETS_FILE: file });
      } catch (e) {
        error = e;
      }
      expect((error as ConfigError).problems).toEqual([
        'FEDKSEED_JOIN_SECRETS_FILE line 1: the name default is taken',
        'FEDKSEED_JOIN_SECRETS_FILE line 2: the secret must be at least 16 bytes',
        'FEDKSEED_JOIN_SECRETS_FILE line 3: the secret must differ from FEDKSEED_TOKEN_SECRET',
        'FEDKSEED_JOIN_SECRETS_FILE line 4: maxRegistrations must be an integer >= 0',
        "FEDKSEED_JOIN_SECRETS_FILE line 5: the secret is another name's too",
        'FEDKSEED_JOIN_SECRETS_FILE line 6: expected "<name> <secret> [<maxRegistrations>]", got 1 fields',
      ]);
      for (const secret of ['some-other-secret-0123', 'short', REQUIRED.FEDKSEED_TOKEN_SECRET, 'clinic-z-secret'])
        expect((error as Error).message).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the per-caller rate limits, 0 turning one off', () => {
    const config = loadConfig({
      ...REQUIRED,
      CLIENT_RATE_LIMIT_PER_S: '2.5',
      CLIENT_RATE_BURST: '5',
      REGISTRATION_RATE_LIMIT_PER_S: '0',
      REGISTRATION_RATE_BURST: '1',
    });
    expect(config.callLimits).toEqual({
      clientRatePerS: 2.5,
      clientBurst: 5,
      registrationRatePerS: 0,
      registrationBurst: 1,
    });
    expect(() => loadConfig({ ...REQUIRED, CLIENT_RATE_BURST: '0', CLIENT_RATE_LIMIT_PER_S: '-1' })).toThrow(
      /CLIENT_RATE_LIMIT_PER_S must be >= 0[\s\S]*CLIENT_RATE_BURST must be >= 1/,
    );
  });

  it('refuses a job queue without Redis (BullMQ lives there)', () => {
    expect(() => loadConfig({ ...REQUIRED, QUEUE_NAME: 'train' })).toThrow(/QUEUE_NAME needs REDIS_URL/);
    expect(loadConfig(REQUIRED).jobQueue).toBeUndefined();
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        RUN_ID: 'bad{id}',
        FEDKSEED_TOKEN_SECRET: 'short',
        NUM_CANDIDATE_SEEDS: '0',
        NUM_LOCAL_STEPS: '2.5',
        ZO_LR: '-1',
        SEED_SAMPLING: 'fedavg',
        AGGREGATION_WEIGHTING: 'random',
        CLIENT_FRACTION: '0',
        QUORUM_FRACTION: '1.5',
        ROUND_DEADLINE_MS: 'soon',
        WEIGHT_DECAY: '0.01',
        REDIS_URL: 'localhost:6379',
        TLS_KEY_FILE: '/nonexistent.key',
        SEED_PROBABILITY_ADDRESS: 'seeds:50052',
        PORT: '-1',
        QUEUE_NAME: 'run:1',
        QUEUE_BACKOFF_MS: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'RUN_ID must match',
      'RUN_SEED is required',
      'FEDKSEED_TOKEN_SECRET must be at least 32 bytes',
      'FEDKSEED_JOIN_SECRET is required',
      'NUM_CANDIDATE_SEEDS must be >= 1',
      'NUM_LOCAL_STEPS must be an integer',
      'ZO_LR must be > 0',
      'SEED_SAMPLING must be one of uniform, importance',
      'AGGREGATION_WEIGHTING must be one of data-size, equal',
      'CLIENT_FRACTION must be > 0',
      'QUORUM_FRACTION must be <= 1',
      'ROUND_DEADLINE_MS must be an integer',
      'WEIGHT_DECAY must be 0',
      'REDIS_URL must be a redis:// or rediss:// URL',
      'TLS_KEY_FILE must name a readable file',
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      'SEED_PROBABILITY_ADDRESS is only used with SEED_SAMPLING=importance',
      'PORT must be >= 0',
      'QUEUE_NAME must match',
      'QUEUE_BACKOFF_MS must be >= 0',
    ])
      expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(20);
    expect((error as Error).message).not.toContain('short');
  });
});

describe('loadOperatorTokenConfig', () => {
  it('needs the run id and the secrets only, and gives the token the running service checks', () => {
    const withoutSeed: Record<string, string> = { ...REQUIRED };
    delete withoutSeed.RUN_SEED;
    const operator = loadOperatorTokenConfig(withoutSeed);
    expect(operator).toEqual({ runId: 'run-1', tokenSecret: 't'.repeat(32), joinSecret: 'j'.repeat(16) });
    const full = loadConfig(REQUIRED);
    expect(new ClientAuth(operator).operatorToken()).toBe(
      new ClientAuth({
        runId: full.run.runId,
        tokenSecret: full.tokenSecret,
        joinSecret: full.joinSecret,
      }).operatorToken(),
    );
  });

  it('reports every problem at once', () => {
    expect(() => loadOperatorTokenConfig({ RUN_ID: 'bad id', FEDKSEED_TOKEN_SECRET: 'short' })).toThrow(
      /RUN_ID[\s\S]*FEDKSEED_TOKEN_SECRET[\s\S]*FEDKSEED_JOIN_SECRET/,
    );
  });
});
