/**
 * The seed-probability service's configuration, from environment variables (README.md lists each with its
 * default). `loadConfig(env)` validates everything and throws one ConfigError listing every problem.
 */
import { EnvReader, type Env } from '@fedkseed/process-kit';
import { readServiceBaseConfig, type ServiceBaseConfig } from '@fedkseed/service-kit';
import { RUN_ID_PATTERN, type RunMode } from '@fedkseed/store';

export interface SeedProbabilityConfig extends ServiceBaseConfig {
  /** The federated run served (logs). */
  runId: string;
  /** The store namespace of the statistics, separate from the aggregator's run. */
  storeRunId: string;
  /** K. */
  numCandidateSeeds: number;
  /** FedKSeed serves uniform; FedKSeed-Pro serves importance-weighted probabilities. */
  mode: RunMode;
  /** Clip bound c on |g| before it enters the statistics. */
  importanceClip: number;
  /** Initial history value of every seed (counts start at 1). */
  importanceGradInitial: number;
  /** Bearer token callers must present; absent: the network (mTLS) is the only guard. */
  serviceToken?: string;
  /** Rounds whose answers are kept, so that repeated calls for a round get the same distribution. */
  distributionCacheRounds: number;
}

export function loadConfig(env: Env): SeedProbabilityConfig {
  const e = new EnvReader(env);
  const base = readServiceBaseConfig(e, 50052);
  const runId = e.requiredString('RUN_ID', { pattern: RUN_ID_PATTERN });
  const config: SeedProbabilityConfig = {
    ...base,
    runId,
    storeRunId: e.string('STORE_RUN_ID', { default: `${runId}.seed-probability`, pattern: RUN_ID_PATTERN })!,
    numCandidateSeeds: e.int('NUM_CANDIDATE_SEEDS', { default: 4096, min: 1, max: 0xffffffff }),
    mode: e.oneOf('MODE', ['fedkseed', 'fedkseed-pro'] as const, { default: 'fedkseed-pro' }),
    importanceClip: e.number('IMPORTANCE_CLIP', { default: 1000, greaterThan: 0 }),
    importanceGradInitial: e.number('IMPORTANCE_GRAD_INITIAL', { default: 0 }),
    distributionCacheRounds: e.int('DISTRIBUTION_CACHE_ROUNDS', { default: 64, min: 1 }),
  };
  const serviceToken = e.secret('SERVICE_TOKEN', { minBytes: 16 });
  e.finish();
  if (serviceToken !== undefined) config.serviceToken = serviceToken;
  return config;
}
