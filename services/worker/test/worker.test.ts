/**
 * A worker in this process trains the queue-fed clients of a real aggregator (Redis store, BullMQ queue) to the
 * end of a small run with a tiny random LLaMA: every selected client trains every round through its job, the
 * run's final A is the aggregate of the uploads, and a second start of the worker registers the same clients.
 */
import { loadPretrained } from '@fedkseed/models';
import { BullMqJobConsumer, BullMqQueueDepth, obliterateBullMqQueue, type TrainJobEvent } from '@fedkseed/queue';

import { metricSample, processExposition, promtoolProblems } from '@fedkseed/testing';

import { WorkerMetrics, loadPopulationData, startWorker, type RunningWorker, type WorkerEvent } from '../src';
import {
  JOIN_SECRET,
  REDIS_URL,
  SKIP_REDIS,
  SPLIT,
  aggregatorEnv,
  expectedA,
  startTestAggregator,
  uniqueName,
  useModelAndData,
  waitFor,
  type TestAggregator,
} from './fixtures';

(SKIP_REDIS ? describe.skip : describe)('worker (in process) against a real aggregator', () => {
  const files = useModelAndData();

  async function worker(
    queueName: string,
    address: string,
    events: WorkerEvent[],
    queueEvents: TrainJobEvent[],
    metrics?: WorkerMetrics,
  ) {
    const clients = await loadPopulationData({ ...SPLIT, file: files.dataFile });
    const w0 = await loadPretrained(files.modelDir);
    return startWorker({
      aggregator: { address },
      joinSecret: JOIN_SECRET,
      clients,
      tokenizer: w0.tokenizer!,
      loadBaseModel: () => w0.clone(),
      consumer: new BullMqJobConsumer({
        queueName,
        redisUrl: REDIS_URL,
        onEvent: (e) => {
          queueEvents.push(e);
          metrics?.onQueueEvent(e);
        },
      }),
      onEvent: (e) => {
        events.push(e);
        metrics?.onWorkerEvent(e);
      },
    });
  }

  it('trains every selected client of every round; the final A is the aggregate of the uploads', async () => {
    const runId = uniqueName('run');
    const queueName = uniqueName('queue');
    let aggregator: TestAggregator | undefined;
    let running: RunningWorker | undefined;
    const depth = new BullMqQueueDepth({ queueName, redisUrl: REDIS_URL });
    try {
      aggregator = await startTestAggregator(aggregatorEnv(runId, queueName));
      const events: WorkerEvent[] = [];
      const queueEvents: TrainJobEvent[] = [];
      const metrics = new WorkerMetrics({ queueDepth: () => depth.counts() });
      running = await worker(queueName, aggregator.app.server.address, events, queueEvents, metrics);
      expect(running.clients.map((c) => c.index)).toEqual([0, 1, 2, 3]);
      expect(new Set(running.clients.map((c) => c.clientId)).size).toBe(4);
      const a = aggregator;
      await waitFor(() => a.events.some((e) => e.type === 'finished'), 'the run to finish', 50_000);

      // Each round's participants trained through their jobs, once each.
      const opened = a.events.flatMap((e) => (e.type === 'opened' ? [e] : []));
      expect(opened.map((e) => e.round)).toEqual([0, 1, 2]);
      const trained = events.flatMap((e) =>
        e.type === 'job-finished' && e.outcome.status === 'trained' ? [`${e.job.round}/${e.job.clientId}`] : [],
      );
      const selected = opened.flatMap((e) => e.participants.map((c) => `${e.round + 1}/${c}`));
      expect(trained.sort()).toEqual(selected.sort());
      expect(queueEvents.filter((e) => e.type === 'failed')).toEqual([]);
      const steps = events.filter((e) => e.type === 'step');
      expect(steps).toHaveLength(4 * 2 * 3); // tau x participants x rounds

      const numExamples = new Map(running.clients.map((c) => [c.clientId, c.numExamples]));
      const accumulated = await a.finalA();
      const reference = await expectedA(a.uploads, 3, 64, async (id) => numExamples.get(id)!);
      expect(Array.from(accumulated)).toEqual(Array.from(reference));
      expect(accumulated.some((v) => v !== 0)).toBe(true);

      // The metrics count the same jobs and steps, read the queue, and pass Prometheus's linter.
      const exposition = await metrics.registry.metrics();
      expect(metricSample(exposition, 'fedkseed_worker_jobs_total{outcome="trained"}')).toBe(trained.length);
      expect(metricSample(exposition, 'fedkseed_worker_job_duration_seconds_count{outcome="trained"}')).toBe(
        trained.length,
      );
      expect(metricSample(exposition, 'fedkseed_zo_step_seconds_count')).toBe(steps.length);
      const syncs = events.filter((e) => e.type === 'synced').length;
      expect(syncs).toBeGreaterThan(0);
      expect(exposition).toMatch(/^fedkseed_model_sync_seconds_count\{via="[a-zA-Z0-9]+"\} \d+$/m);
      expect(metricSample(exposition, 'fedkseed_queue_jobs{state="completed"}')).toBe(trained.length);
      expect(metricSample(exposition, 'fedkseed_queue_jobs{state="wait"}')).toBe(0);
      expect(promtoolProblems(await processExposition(metrics.registry))).toBe('');

      // Registering the population again (another worker, a restart) gives the same clients.
      const registered = running.clients;
      await running.close();
      running = await worker(queueName, a.app.server.address, [], []);
      expect(running.clients).toEqual(registered);
    } finally {
      await running?.close();
      await depth.close();
      await aggregator?.stop();
      await obliterateBullMqQueue({ queueName, redisUrl: REDIS_URL });
    }
  });
});
