/**
 * Wires the seed-probability service together from a loaded config: store (its own run namespace),
 * handlers, gRPC server with health. `main.ts` calls it for the real process; tests call it with their own
 * store and call `drain()` as SIGTERM would.
 */
import { SERVICE_NAMES, SeedProbabilityServiceService } from '@fedkseed/proto';
import { Logger, redisAuthError } from '@fedkseed/process-kit';
import {
  startGrpcServer,
  openServiceStore,
  watchStoreHealth,
  type DrainOutcome,
  type RunningGrpcServer,
} from '@fedkseed/service-kit';
import type { RoundStore } from '@fedkseed/store';
import { createSeedStrategy, resolveRunConfig, type RunConfigInput } from '@fedkseed/zo';
import type { Registry } from 'prom-client';

import type { SeedProbabilityConfig } from './config';
import { SeedDistributionMetrics } from './seed-distribution-metrics';
import { SeedProbabilityService } from './seed-probability-service';

export interface SeedProbabilityAppOverrides {
  /** A store to use (and not close) for the statistics; default: Redis at REDIS_URL, else in memory. */
  store?: RoundStore;
  logger?: Logger;
}

export interface SeedProbabilityApp {
  readonly config: SeedProbabilityConfig;
  readonly store: RoundStore;
  readonly service: SeedProbabilityService;
  readonly server: RunningGrpcServer;
  /** The app's own series (per-RPC, the distribution served); the process adds Node.js's defaults. */
  readonly metrics: Registry;
  /** What SIGTERM does: NOT_SERVING, finish in-flight calls (or cut them after the grace), close the store. */
  drain(): Promise<DrainOutcome>;
}

/**
 * The statistics' namespace in the store. Only K, the seed sampling and the importance settings matter here; the
 * statistics never use the run seed (the aggregator's run owns it), so 0 is written, and the other fields keep
 * their defaults.
 */
export function statisticsRunConfig(config: SeedProbabilityConfig): RunConfigInput {
  return {
    runId: config.runId,
    runSeed: 0n,
    numCandidateSeeds: config.numCandidateSeeds,
    seedSampling: config.seedSampling,
    importanceClip: config.importanceClip,
    importanceGradInitial: config.importanceGradInitial,
  };
}

export async function startSeedProbabilityApp(
  config: SeedProbabilityConfig,
  overrides: SeedProbabilityAppOverrides = {},
): Promise<SeedProbabilityApp> {
  const logger =
    overrides.logger ?? new Logger({ service: 'seed-probability', runId: config.runId, level: config.logLevel });
  const ownsStore = overrides.store === undefined;
  const store = overrides.store ?? openServiceStore(config, config.storeRunId, logger);
  const distributionMetrics = new SeedDistributionMetrics();
  const metrics = distributionMetrics.registry;
  let server: RunningGrpcServer;
  let service: SeedProbabilityService;
  try {
    const statistics = resolveRunConfig(statisticsRunConfig(config));
    const strategy = createSeedStrategy(statistics);
    const { status } = await store.initRun(statistics);
    logger.info(status === 'created' ? 'statistics created' : 'statistics resumed', { storeRunId: config.storeRunId });
    if (!strategy.usesImportance)
      logger.warn(
        'seed sampling is uniform: every distribution served is uniform (FedKSeed-Pro: SEED_SAMPLING=importance)',
      );
    service = new SeedProbabilityService({ ...config, strategy, store, logger, metrics: distributionMetrics });
    server = await startGrpcServer({
      host: config.host,
      port: config.port,
      tls: config.tls,
      logger,
      metrics,
      services: [
        {
          name: SERVICE_NAMES.seedProbability,
          definition: SeedProbabilityServiceService,
          implementation: service.implementation(),
        },
      ],
    });
  } catch (e) {
    if (ownsStore) await store.close();
    throw (ownsStore && config.redis && redisAuthError(e, config.redis)) || e;
  }
  const storeHealth = watchStoreHealth(server, store, logger);
  let drained: Promise<DrainOutcome> | undefined;
  const drain = async () => {
    const outcome = await server.drain({ graceMs: config.drainGraceMs });
    await storeHealth.stop();
    if (ownsStore) await store.close();
    return outcome;
  };
  return { config, store, service, server, metrics, drain: () => (drained ??= drain()) };
}
