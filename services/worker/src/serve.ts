/**
 * The worker as a process (`main.ts`, and `fedkseed worker`): read the environment, select the tfjs backend,
 * load the data and the model, start on the run's BullMQ queue, and on SIGTERM finish (or, past
 * DRAIN_GRACE_MS, put back) the job in progress before exiting.
 */
import { loadPretrained, selectBackend, type CausalLM } from '@fedkseed/models';
import {
  Logger,
  createProcessRegistry,
  loadConfigOrExit,
  onShutdownSignals,
  redisAuthError,
  redisClientOptions,
  startMetricsServer,
  type Env,
} from '@fedkseed/process-kit';
import { BullMqJobConsumer, BullMqQueueDepth, checkQueueConnection } from '@fedkseed/queue';

import { loadConfig } from './config';
import { loadPopulationData } from './worker-data';
import { startWorker, type RunningWorker } from './worker-app';
import { WorkerMetrics } from './worker-metrics';

export async function serveWorker(env: Env = process.env): Promise<RunningWorker> {
  const config = loadConfigOrExit('worker', loadConfig, env);
  const logger = new Logger({ service: 'worker', level: config.logLevel });
  const q = config.queue;
  const redis = redisClientOptions(q.redis);
  // BullMQ would retry a refused password or an unreachable Redis forever: fail at start instead.
  await checkQueueConnection({ redisUrl: redis.url, redisOptions: redis.options }).catch((e: unknown) => {
    throw redisAuthError(e, q.redis) ?? e;
  });
  const backend = await selectBackend(config.backend, (line) => logger.info(line));
  const clients = await loadPopulationData(config.data);
  logger.info('data loaded', { file: config.data.file, clients: clients.length, backend: backend.chosen });

  // w0 is read once at start; a rebuild (every round with SYNC=exact) reads it again from MODEL_DIR rather
  // than keeping a second copy of the weights in memory.
  let first: CausalLM | undefined = await loadPretrained(config.modelDir);
  const tokenizer = first.tokenizer;
  if (!tokenizer) throw new Error(`${config.modelDir} has no tokenizer.json: the worker encodes its data with it`);
  const loadBaseModel = async () => {
    const model = first ?? (await loadPretrained(config.modelDir));
    first = undefined;
    return model;
  };

  // Metrics from the start: /healthz answers while the model loads and the population registers, /readyz once
  // jobs are taken (and no longer once the worker is stopping).
  const depth = new BullMqQueueDepth({
    queueName: q.queueName,
    redisUrl: redis.url,
    redisOptions: redis.options,
    onError: () => {},
  });
  const metrics = new WorkerMetrics({ queueDepth: () => depth.counts() });
  let ready = false;
  const metricsServer = await startMetricsServer({
    registries: [createProcessRegistry(), metrics.registry],
    host: config.metricsHost,
    port: config.metricsPort,
    ready: () => ready,
    logger,
  });
  const consumer = new BullMqJobConsumer({
    queueName: q.queueName,
    redisUrl: redis.url,
    redisOptions: redis.options,
    concurrency: q.concurrency,
    stalledIntervalMs: q.stalledIntervalMs,
    lockDurationMs: q.lockDurationMs,
    maxStalledCount: q.maxStalledCount,
    name: q.workerName,
    onError: (e) => logger.warn('job queue connection error', { err: e }),
    onEvent: (e) => {
      metrics.onQueueEvent(e);
      if (e.type === 'failed')
        logger.warn('job attempt failed', {
          round: e.job.round,
          clientId: e.job.clientId,
          attempt: e.attempt,
          willRetry: e.willRetry,
        });
      else if (e.type === 'released')
        logger.info('job put back in the queue', { round: e.job.round, clientId: e.job.clientId });
    },
  });
  const worker = await startWorker({
    aggregator: {
      address: config.aggregatorAddress,
      ...(config.aggregatorTls ? { tls: config.aggregatorTls } : {}),
      callTimeoutMs: config.callTimeoutMs,
    },
    joinSecret: config.joinSecret,
    clients,
    deviceClientIndices: config.deviceClientIndices,
    tokenizer,
    promptWording: config.promptWording,
    loadBaseModel,
    consumer,
    concurrency: q.concurrency,
    sync: config.sync,
    logger,
    onEvent: (e) => metrics.onWorkerEvent(e),
  });
  ready = true;
  onShutdownSignals(
    async () => {
      ready = false;
      await worker.close({ graceMs: config.drainGraceMs });
      await metricsServer.close();
      await depth.close();
    },
    { logger },
  );
  return worker;
}
