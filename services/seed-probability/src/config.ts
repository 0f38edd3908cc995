/**
 * The seed-probability service's configuration, from environment variables (README.md lists each with its
 * default). The run's settings it needs are read with the aggregator's names and defaults
 * (`readRunConfigEnv`, docs/run-config.md). `loadConfig(env)` validates everything and throws one ConfigError
 * listing every problem.
 */
import { EnvReader, readRunConfigEnv, type Env } from '@fedkseed/process-kit';
import { readServiceBaseConfig, type ServiceBaseConfig } from '@fedkseed/service-kit';
import { RUN_ID_PATTERN, type RunConfig } from '@fedkseed/zo';

/** The run-config fields the service reads: the run served (logs), K, and the importance settings. */
export const SEED_PROBABILITY_RUN_FIELDS = [
  'runId',
  'numCandidateSeeds',
  'seedSampling',
  'importanceClip',
  'importanceGradInitial',
] as const;

export interface SeedProbabilityConfig
  extends ServiceBaseConfig, Pick<RunConfig, (typeof SEED_PROBABILITY_RUN_FIELDS)[number]> {
  /** The store namespace of the statistics, separate from the aggregator's run. */
  storeRunId: string;
  /** Bearer token callers must present; absent: the network (mTLS) is the only guard. */
  serviceToken?: string;
  /** Rounds whose answers are kept, so that repeated calls for a round get the same distribution. */
  distributionCacheRounds: number;
}

export function loadConfig(env: Env): SeedProbabilityConfig {
  const e = new EnvReader(env);
  const base = readServiceBaseConfig(e, 50052);
  const run = readRunConfigEnv(e, SEED_PROBABILITY_RUN_FIELDS);
  const config: SeedProbabilityConfig = {
    ...base,
    ...run,
    storeRunId: e.string('STORE_RUN_ID', { default: `${run.runId}.seed-probability`, pattern: RUN_ID_PATTERN })!,
    distributionCacheRounds: e.int('DISTRIBUTION_CACHE_ROUNDS', { default: 64, min: 1 }),
  };
  const serviceToken = e.secret('SERVICE_TOKEN', { minBytes: 16 });
  e.finish();
  if (serviceToken !== undefined) config.serviceToken = serviceToken;
  return config;
}
