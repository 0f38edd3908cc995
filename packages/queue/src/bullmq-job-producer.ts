/**
 * Enqueues train jobs on a BullMQ queue (the aggregator's side). Each job's BullMQ id is `trainJobId(job)`:
 * BullMQ adds nothing for an id it already holds, so aggregator replicas that enqueue the same round add each
 * job once. Finished jobs are kept for a while (`keepCompletedS`), which is how long a repeat stays a no-op.
 */
import { Queue } from 'bullmq';

import { checkQueueOptions, connectionOf, type BullMqQueueOptions } from './bullmq-options';
import type { TrainJobCounts, TrainJobCountsSource, TrainJobProducer } from './job-queue';
import { checkTrainJob, trainJobId, type TrainJob } from './train-job';

/** BullMQ's job name of train jobs. */
export const TRAIN_JOB_NAME = 'train';

export interface BullMqJobProducerOptions extends BullMqQueueOptions {
  /** Attempts per job, the first included (a failed attempt is retried by any worker). @default 3 */
  attempts?: number;
  /** Wait before the second attempt; each further one waits twice as long (ms). @default 5000 */
  backoffMs?: number;
  /** Completed jobs are deleted this long after they finish (s). @default 86_400 */
  keepCompletedS?: number;
  /** Failed jobs (out of attempts) are deleted this long after they fail (s). @default 604_800 */
  keepFailedS?: number;
}

export class BullMqJobProducer implements TrainJobProducer, TrainJobCountsSource {
  private readonly queue: Queue<TrainJob>;

  constructor(private readonly options: BullMqJobProducerOptions) {
    checkQueueOptions(options);
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1)
      throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
    this.queue = new Queue<TrainJob>(options.queueName, {
      connection: connectionOf(options),
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      defaultJobOptions: {
        attempts,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 5000 },
        removeOnComplete: { age: options.keepCompletedS ?? 86_400 },
        removeOnFail: { age: options.keepFailedS ?? 604_800 },
      },
    });
    this.queue.on('error', (e) => options.onError?.(e));
  }

  get queueName(): string {
    return this.options.queueName;
  }

  async enqueue(jobs: readonly TrainJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const bulk = jobs.map((job) => ({
      name: TRAIN_JOB_NAME,
      data: checkTrainJob(job),
      opts: { jobId: trainJobId(job) },
    }));
    await this.queue.addBulk(bulk);
  }

  async getJobCounts(): Promise<TrainJobCounts> {
    const c = await this.queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    return {
      waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
