/**
 * @fedkseed/queue: the job queue of queue-fed FedKSeed clients. A `TrainJob` is "client c trains round r of
 * run x"; the aggregator enqueues one per selected queue-fed client when it opens a round, and workers train
 * them. Job ids are a function of (run, round, client), so enqueuing a round twice (two aggregator replicas)
 * adds each job once. `InProcessJobQueue` serves a one-process federation; `BullMqJobProducer` and
 * `BullMqJobConsumer` a distributed one on Redis, where a job whose worker died is retried by another.
 *
 * @example
 * ```ts
 * import { BullMqJobConsumer, BullMqJobProducer } from '@fedkseed/queue';
 *
 * const producer = new BullMqJobProducer({ queueName: 'run-1', redisUrl: 'redis://127.0.0.1:6379' });
 * await producer.enqueue([{ runId: 'run-1', round: 1, clientId: 'c-abc' }]);
 * await producer.enqueue([{ runId: 'run-1', round: 1, clientId: 'c-abc' }]); // no-op: same job id
 *
 * const consumer = new BullMqJobConsumer({ queueName: 'run-1', concurrency: 1, stalledIntervalMs: 5000 });
 * consumer.start(async (job, signal) => console.log(`train ${job.clientId} for round ${job.round}`, signal.aborted));
 * process.once('SIGTERM', () => void consumer.close({ graceMs: 25_000 }));
 * ```
 */
export { checkTrainJob, parseTrainJobId, trainJobId, trainJobProblem, type TrainJob } from './train-job';
export type {
  CloseOptions,
  TrainJobConsumer,
  TrainJobCounts,
  TrainJobCountsSource,
  TrainJobEvent,
  TrainJobHandler,
  TrainJobProducer,
} from './job-queue';
export { InProcessJobQueue, type InProcessJobQueueOptions } from './in-process-job-queue';
export { obliterateBullMqQueue, type BullMqQueueOptions } from './bullmq-options';
export { BullMqJobProducer, TRAIN_JOB_NAME, type BullMqJobProducerOptions } from './bullmq-job-producer';
export { BullMqJobConsumer, type BullMqJobConsumerOptions } from './bullmq-job-consumer';
export { BullMqQueueDepth, QUEUE_STATES, type QueueState } from './bullmq-queue-depth';
export { checkQueueConnection } from './check-queue-connection';
