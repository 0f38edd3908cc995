/**
 * @fedkseed/worker as a library: train the queue-fed clients of a FedKSeed run in a process of one's own (the
 * one-process federation of `fedkseed simulate`, tests). `main.ts` is the deployable's entry point (the
 * package's `bin`, BullMQ on Redis); importing this module starts nothing.
 *
 * @example
 * ```ts
 * import { loadConfig as loadAggregatorConfig, startAggregatorApp } from '@fedkseed/aggregator';
 * import { loadDolly } from '@fedkseed/data';
 * import { loadPretrained } from '@fedkseed/models';
 * import { InProcessJobQueue } from '@fedkseed/queue';
 * import { startWorker } from '@fedkseed/worker';
 *
 * const queue = new InProcessJobQueue(); // the aggregator enqueues into it, the worker consumes from it
 * const app = await startAggregatorApp(loadAggregatorConfig(env), { jobProducer: queue });
 * const w0 = await loadPretrained(modelDir);
 * const worker = await startWorker({
 *   aggregator: { address: app.server.address },
 *   joinSecret: env.FEDKSEED_JOIN_SECRET,
 *   clients: (await loadDolly(file, { numClients: 10 })).clients,
 *   tokenizer: w0.tokenizer!,
 *   loadBaseModel: () => w0.clone(),
 *   consumer: queue,
 *   sync: 'exact',
 *   onEvent: (e) => e.type === 'job-finished' && console.log(e.job.round, e.job.clientId, e.outcome.status),
 * });
 * // ... once the run is finished:
 * await worker.close();
 * await app.drain();
 * ```
 */
export { loadConfig, type WorkerConfig, type WorkerQueueSettings } from './config';
export { startWorker, type RunningWorker, type WorkerClient, type WorkerOptions } from './worker-app';
export { serveWorker } from './serve';
export {
  buildPopulation,
  queueClientKey,
  roundBatches,
  type PopulationClient,
  type PopulationOptions,
  type RoundBatchesOptions,
} from './population';
export { loadPopulationData, type DollySplitSpec } from './worker-data';
export { trainJobRound, type TrainJobOutcome } from './train-job-round';
export type { WorkerEvent } from './worker-events';
export { WorkerMetrics, type WorkerMetricsOptions } from './worker-metrics';
