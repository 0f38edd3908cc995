/**
 * The aggregator's configuration, from environment variables (README.md lists each with its default; the
 * run's, read by process-kit's `readRunConfigEnv`, are in docs/run-config.md).
 * `loadConfig(env)` validates everything and throws one ConfigError listing every problem. Settings that
 * would make the model stop being a function of A (a learning-rate schedule, weight decay) are refused here
 * rather than drifting silently: w_r = w_0 - lr * sum_i A[i] z_i needs a constant lr and no weight decay.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

import { EnvReader, readRunConfigEnv, runConfigEnvVar, type Env } from '@fedkseed/process-kit';
import { type ClientTlsFiles, readServiceBaseConfig, type ServiceBaseConfig } from '@fedkseed/service-kit';
import { createSeedStrategy, runConfigFieldProblem, type RunConfig } from '@fedkseed/zo';

import type { CallLimitSettings } from './call-limits';
import { readJoinSecrets, type JoinSecret } from './join-secrets';

/** How rounds are run. */
export interface RoundSettings {
  /** m: fraction of registered clients selected per round. */
  clientFraction: number;
  /** Fewest clients selected per round; a round does not open with fewer registered. */
  minClientsPerRound: number;
  /**
   * Fewest registered clients before a round opens (at least minClientsPerRound): the size of a known population,
   * so that round 1 selects among all of it rather than among the first to register.
   */
  minRegisteredClients: number;
  /** Fraction of a round's participants whose uploads close it before the deadline. */
  quorumFraction: number;
  /** How long a round accepts uploads after it opens (ms). */
  roundDeadlineMs: number;
  /** Lease a closer holds on a round while aggregating; another replica takes over after it (ms). */
  closeLeaseMs: number;
  /** Longest the lifecycle waits before looking at the store again (other replicas, new clients) (ms). */
  pollIntervalMs: number;
  /** WAIT answers' retry_after_ms when nothing better is known (ms). */
  taskRetryAfterMs: number;
  /**
   * Longest retry_after_ms told to a client the open round did not select (ms): it hears of the next round no
   * sooner, so a round that selects it waits up to this long; more clients polling less often wants it longer.
   */
  idleRetryAfterMs: number;
}

export interface SeedProbabilitySettings {
  /** host:port of the seed-probability service. */
  address: string;
  /** TLS towards it; insecure when absent. */
  tls?: ClientTlsFiles;
  /** Bearer token it expects, if any. */
  token?: string;
  /** Per-call deadline (ms). */
  callTimeoutMs: number;
}

/** The job queue of queue-fed clients (BullMQ on the Redis of REDIS_URL). */
export interface JobQueueSettings {
  /** BullMQ queue name the run's workers consume. */
  queueName: string;
  /** Attempts per job, the first included. */
  attempts: number;
  /** Wait before a job's second attempt, doubling after each failure (ms). */
  backoffMs: number;
}

export interface AggregatorConfig extends ServiceBaseConfig {
  /** HMAC-SHA256 key of the client bearer tokens. */
  tokenSecret: string;
  /** Shared secret a client presents to register (FEDKSEED_JOIN_SECRET). */
  joinSecret: string;
  /** Every join secret RegisterClient accepts, `joinSecret` first as "default", with their bounds. */
  joinSecrets: JoinSecret[];
  /** Most clients the run registers. */
  maxClients: number;
  /** This replica's name as a round closer (unique per process). */
  replicaId: string;
  /** The run's fixed configuration: what RunConfig tells every client, and what the store pins with initRun. */
  run: RunConfig;
  rounds: RoundSettings;
  /** FedKSeed-Pro through the seed-probability service; absent: computed here from the store's stats. */
  seedProbability?: SeedProbabilitySettings;
  /** Where train jobs of queue-fed clients go; absent: no queue (queue-fed clients are never trained). */
  jobQueue?: JobQueueSettings;
  /** Per-caller rate limits (call-limits.ts). */
  callLimits: CallLimitSettings;
}

const REPLICA_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const QUEUE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** FEDKSEED_TOKEN_SECRET and FEDKSEED_JOIN_SECRET, checked; problems go to `e`. */
function readSecrets(e: EnvReader): { tokenSecret: string; joinSecret: string } {
  const tokenSecret = e.secret('FEDKSEED_TOKEN_SECRET', { minBytes: 32, required: true }) ?? '';
  const joinSecret = e.secret('FEDKSEED_JOIN_SECRET', { minBytes: 16, required: true }) ?? '';
  if (tokenSecret && tokenSecret === joinSecret)
    e.problem('FEDKSEED_JOIN_SECRET must differ from FEDKSEED_TOKEN_SECRET (clients know the join secret)');
  return { tokenSecret, joinSecret };
}

/**
 * What printing the operator token needs (`--print-operator-token`): the run id and the secrets, not the run's
 * other settings (the token is an HMAC of the run id and the principal).
 */
export function loadOperatorTokenConfig(env: Env): { runId: string; tokenSecret: string; joinSecret: string } {
  const e = new EnvReader(env);
  const runId = e.requiredString('RUN_ID');
  const problem = runId ? runConfigFieldProblem('runId', runId) : undefined;
  if (problem) e.problem(`RUN_ID: ${problem}`);
  const secrets = readSecrets(e);
  e.finish();
  return { runId, ...secrets };
}

/** Reads and validates the whole configuration; throws one ConfigError listing every problem. */
export function loadConfig(env: Env): AggregatorConfig {
  const e = new EnvReader(env);
  const base = readServiceBaseConfig(e, 50051);
  const tls = base.tls;
  const { tokenSecret, joinSecret } = readSecrets(e);
  const maxClients = e.int('MAX_CLIENTS', { default: 100_000, min: 1 });
  const joinSecrets = readJoinSecrets(e, joinSecret, { tokenSecret, maxClients });
  const replicaId =
    e.string('REPLICA_ID', { pattern: REPLICA_ID_PATTERN }) ??
    `${hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 64)}-${process.pid}-${randomBytes(3).toString('hex')}`;

  const run = readRunConfigEnv(e);
  // The model is w0 - lr * sum_i A[i] z_i only with a constant lr and no weight decay.
  const weightDecay = e.number('WEIGHT_DECAY', { default: 0 });
  if (weightDecay !== 0 && !Number.isNaN(weightDecay))
    e.problem(`WEIGHT_DECAY must be 0 (the model is a function of A only without weight decay), got ${weightDecay}`);

  const rounds: RoundSettings = {
    clientFraction: e.number('CLIENT_FRACTION', { default: 0.05, greaterThan: 0, max: 1 }),
    minClientsPerRound: e.int('MIN_CLIENTS_PER_ROUND', { default: 1, min: 1 }),
    minRegisteredClients: e.int('MIN_REGISTERED_CLIENTS', { default: 1, min: 1 }),
    quorumFraction: e.number('QUORUM_FRACTION', { default: 1, greaterThan: 0, max: 1 }),
    roundDeadlineMs: e.int('ROUND_DEADLINE_MS', { default: 600_000, min: 1, max: 0xffffffff }),
    closeLeaseMs: e.int('CLOSE_LEASE_MS', { default: 30_000, min: 1 }),
    pollIntervalMs: e.int('ROUND_POLL_MS', { default: 1000, min: 1 }),
    taskRetryAfterMs: e.int('TASK_RETRY_AFTER_MS', { default: 1000, min: 1, max: 0xffffffff }),
    idleRetryAfterMs: e.int('IDLE_RETRY_AFTER_MS', { default: 60_000, min: 1, max: 0xffffffff }),
  };
  if (rounds.minClientsPerRound > maxClients)
    e.problem(`MIN_CLIENTS_PER_ROUND (${rounds.minClientsPerRound}) exceeds MAX_CLIENTS (${maxClients})`);
  if (rounds.minRegisteredClients > maxClients)
    e.problem(`MIN_REGISTERED_CLIENTS (${rounds.minRegisteredClients}) exceeds MAX_CLIENTS (${maxClients})`);

  let seedProbability: SeedProbabilitySettings | undefined;
  const seedAddress = e.string('SEED_PROBABILITY_ADDRESS', { pattern: /^[^\s]+:\d+$/ });
  const seedTls = e.bool('SEED_PROBABILITY_TLS', { default: tls !== undefined });
  const seedToken = e.string('SEED_PROBABILITY_TOKEN');
  const seedTimeoutMs = e.int('SEED_PROBABILITY_TIMEOUT_MS', { default: 5000, min: 1 });
  if (seedAddress !== undefined) {
    if (!createSeedStrategy(run).usesImportance)
      e.problem(`SEED_PROBABILITY_ADDRESS is only used with ${runConfigEnvVar('seedSampling')}=importance`);
    seedProbability = { address: seedAddress, callTimeoutMs: seedTimeoutMs };
    if (seedTls) seedProbability.tls = tls ? { ...tls } : {};
    if (seedToken !== undefined) seedProbability.token = seedToken;
  }

  // A client makes a few calls a round and polls no faster than its WAIT's retry_after (TASK_RETRY_AFTER_MS): the
  // defaults leave it ample room, and they are per client, so that any number of clients together pass.
  const callLimits: CallLimitSettings = {
    clientRatePerS: e.number('CLIENT_RATE_LIMIT_PER_S', { default: 20, min: 0 }),
    clientBurst: e.int('CLIENT_RATE_BURST', { default: 100, min: 1 }),
    registrationRatePerS: e.number('REGISTRATION_RATE_LIMIT_PER_S', { default: 100, min: 0 }),
    registrationBurst: e.int('REGISTRATION_RATE_BURST', { default: 1000, min: 1 }),
  };

  let jobQueue: JobQueueSettings | undefined;
  const queueName = e.string('QUEUE_NAME', { pattern: QUEUE_NAME_PATTERN });
  const queueAttempts = e.int('QUEUE_ATTEMPTS', { default: 3, min: 1 });
  const queueBackoffMs = e.int('QUEUE_BACKOFF_MS', { default: 5000, min: 0 });
  if (queueName !== undefined) {
    if (base.redis === undefined) e.problem('QUEUE_NAME needs REDIS_URL (the job queue lives in Redis)');
    jobQueue = { queueName, attempts: queueAttempts, backoffMs: queueBackoffMs };
  }

  e.finish();
  const config: AggregatorConfig = {
    ...base,
    tokenSecret,
    joinSecret,
    joinSecrets,
    maxClients,
    replicaId,
    run,
    rounds,
    callLimits,
  };
  if (seedProbability) config.seedProbability = seedProbability;
  if (jobQueue) config.jobQueue = jobQueue;
  return config;
}
