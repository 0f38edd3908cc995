/**
 * Wires the aggregator together from a loaded config: store, auth, seed distribution, lifecycle, gRPC
 * server. `main.ts` calls it with the real process; tests call it with their own store, clock and timers
 * and call `drain()` as SIGTERM would.
 */
import { AggregatorServiceService, SERVICE_NAMES, SeedProbabilityServiceClient } from '@fedkseed/proto';
import { Logger, redisAuthError, redisClientOptions } from '@fedkseed/process-kit';
import { BullMqJobProducer, type TrainJobProducer } from '@fedkseed/queue';
import {
  channelCredentials,
  startGrpcServer,
  openServiceStore,
  watchStoreHealth,
  type DrainOutcome,
  type RunningGrpcServer,
} from '@fedkseed/service-kit';
import type { RoundStore } from '@fedkseed/store';
import { createSeedStrategy } from '@fedkseed/zo';
import type { Registry } from 'prom-client';

import { AggregatorService } from './aggregator-service';
import { ClientAuth } from './auth';
import { callLimitInterceptor } from './call-limits';
import type { AggregatorConfig } from './config';
import { AggregatorMetrics } from './aggregator-metrics';
import { RoundLifecycle, type LifecycleEvent, type Timers } from './round-lifecycle';
import { LocalSeedDistribution, RemoteSeedDistribution, type SeedDistributionProvider } from './seed-distribution';

export interface AggregatorAppOverrides {
  /** A store to use (and not close); default: Redis at REDIS_URL, else a new in-memory store. */
  store?: RoundStore;
  logger?: Logger;
  /** Unix epoch ms, for the lifecycle and the handlers (the store keeps its own). @default Date.now */
  clock?: () => number;
  /** Monotonic ms, for the rate limits. @default performance.now */
  monotonicClock?: () => number;
  timers?: Timers;
  /** Replaces the configured FedKSeed-Pro provider. */
  seeds?: SeedDistributionProvider;
  onEvent?: (event: LifecycleEvent) => void;
  /**
   * Where train jobs of queue-fed clients go (e.g. an InProcessJobQueue), used and not closed; default: a BullMQ
   * queue when QUEUE_NAME (and REDIS_URL) are set, else none.
   */
  jobProducer?: TrainJobProducer;
}

export interface AggregatorApp {
  readonly config: AggregatorConfig;
  readonly store: RoundStore;
  readonly auth: ClientAuth;
  readonly lifecycle: RoundLifecycle;
  readonly server: RunningGrpcServer;
  /** The app's own series (rounds, uploads, catch-ups, per-RPC); the process adds Node.js's defaults. */
  readonly metrics: Registry;
  /** What SIGTERM does: NOT_SERVING, stop taking calls, finish in-flight ones (or cut them after the grace),
   *  stop the lifecycle, close what the app opened. Idempotent. */
  drain(): Promise<DrainOutcome>;
}

export async function startAggregatorApp(
  config: AggregatorConfig,
  overrides: AggregatorAppOverrides = {},
): Promise<AggregatorApp> {
  const logger =
    overrides.logger ?? new Logger({ service: 'aggregator', runId: config.run.runId, level: config.logLevel });
  const ownsStore = overrides.store === undefined;
  const store = overrides.store ?? openServiceStore(config, config.run.runId, logger, overrides.clock);
  const closers: (() => void | Promise<void>)[] = [];
  if (ownsStore) closers.push(() => store.close());

  // FedKSeed or FedKSeed-Pro, chosen here once for the lifecycle and the handlers.
  const strategy = createSeedStrategy(config.run);
  let seeds = overrides.seeds;
  if (!seeds && strategy.usesImportance) {
    if (config.seedProbability) {
      const { address, tls, token, callTimeoutMs } = config.seedProbability;
      const client = new SeedProbabilityServiceClient(address, channelCredentials(tls));
      closers.push(() => client.close());
      seeds = new RemoteSeedDistribution(client, {
        numCandidateSeeds: config.run.numCandidateSeeds,
        token,
        callTimeoutMs,
      });
    } else {
      seeds = new LocalSeedDistribution(store, strategy);
    }
  }

  let jobs = overrides.jobProducer;
  if (!jobs && config.jobQueue && config.redis) {
    const redis = redisClientOptions(config.redis);
    const producer = new BullMqJobProducer({
      ...config.jobQueue,
      redisUrl: redis.url,
      redisOptions: redis.options,
      onError: (e) => logger.warn('job queue connection error', { err: e }),
    });
    closers.push(() => producer.close());
    jobs = producer;
  }

  const auth = new ClientAuth({
    runId: config.run.runId,
    tokenSecret: config.tokenSecret,
    joinSecret: config.joinSecret,
    joinSecrets: config.joinSecrets,
  });
  const metrics = new AggregatorMetrics(overrides.clock);
  const lifecycle = new RoundLifecycle({
    store,
    run: config.run,
    rounds: config.rounds,
    closerId: config.replicaId,
    logger,
    strategy,
    seeds,
    clock: overrides.clock,
    timers: overrides.timers,
    onEvent: (event) => {
      metrics.onLifecycleEvent(event);
      overrides.onEvent?.(event);
    },
    jobs,
  });
  const service = new AggregatorService({
    store,
    auth,
    lifecycle,
    run: config.run,
    strategy,
    rounds: config.rounds,
    maxClients: config.maxClients,
    logger,
    clock: overrides.clock,
    metrics,
  });

  const limits = callLimitInterceptor({ auth, settings: config.callLimits, logger, clock: overrides.monotonicClock });
  let server: RunningGrpcServer;
  try {
    await lifecycle.start();
    server = await startGrpcServer({
      host: config.host,
      port: config.port,
      tls: config.tls,
      logger,
      metrics: metrics.registry,
      ...(limits ? { serverOptions: { interceptors: [limits] } } : {}),
      services: [
        {
          name: SERVICE_NAMES.aggregator,
          definition: AggregatorServiceService,
          implementation: service.implementation(),
        },
      ],
    });
  } catch (e) {
    await lifecycle.stop();
    for (const close of closers.reverse()) await close();
    throw (ownsStore && config.redis && redisAuthError(e, config.redis)) || e;
  }

  const storeHealth = watchStoreHealth(server, store, logger);
  let drained: Promise<DrainOutcome> | undefined;
  const drain = async (): Promise<DrainOutcome> => {
    const outcome = await server.drain({ graceMs: config.drainGraceMs });
    await storeHealth.stop();
    await lifecycle.stop();
    for (const close of closers.reverse()) await close();
    return outcome;
  };
  return {
    config,
    store,
    auth,
    lifecycle,
    server,
    metrics: metrics.registry,
    drain: () => (drained ??= drain()),
  };
}
