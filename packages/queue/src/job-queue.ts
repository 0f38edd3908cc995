/**
 * The two sides of the job queue of queue-fed clients. The aggregator produces: when it opens a round it
 * enqueues one TrainJob per selected queue-fed client. Workers consume: each job is one client's local
 * training for one round. Two implementations: `InProcessJobQueue` (one process, the embedded federation)
 * and `BullMqJobProducer`/`BullMqJobConsumer` (Redis, any number of aggregator replicas and worker processes).
 */
import type { TrainJob } from './train-job';

export interface TrainJobProducer {
  /**
   * Adds the jobs. A job whose id (`trainJobId`) the queue already holds is left as it is, so replicas that
   * enqueue the same round, or one replica enqueuing it twice, add each job once.
   */
  enqueue(jobs: readonly TrainJob[]): Promise<void>;
  /** Releases what the producer opened (connections). */
  close(): Promise<void>;
}

/**
 * Trains `job`. Resolving completes the job (a round that closed or a client not selected is a normal end);
 * throwing fails this attempt, and the queue tries again up to its attempts. `signal` aborts when the consumer
 * is closing and will no longer wait for the job: the handler should stop soon after (the job is then put back
 * for another worker, without counting an attempt).
 */
export type TrainJobHandler = (job: TrainJob, signal: AbortSignal) => Promise<void>;

export interface CloseOptions {
  /**
   * How long the job in progress may take to finish before it is aborted and put back in the queue (ms).
   * @default Infinity (wait for it)
   */
  graceMs?: number;
}

export interface TrainJobConsumer {
  /** Starts handing jobs to `handler` (at most the consumer's concurrency at once). Once only. */
  start(handler: TrainJobHandler): void;
  /** Takes no new job; finishes the jobs in progress (or, past `graceMs`, releases them), then disconnects. */
  close(options?: CloseOptions): Promise<void>;
}

/** Jobs by state: for metrics (queue depth drives worker autoscaling). */
export interface TrainJobCounts {
  /** Waiting for a worker. */
  waiting: number;
  /** Being trained. */
  active: number;
  /** Waiting out a retry backoff. */
  delayed: number;
  completed: number;
  /** Out of attempts. */
  failed: number;
}

export interface TrainJobCountsSource {
  getJobCounts(): Promise<TrainJobCounts>;
}

/** What a consumer did with a job, for logs and tests. `attempt` counts from 1. */
export type TrainJobEvent =
  | { type: 'active'; id: string; job: TrainJob; attempt: number }
  | { type: 'completed'; id: string; job: TrainJob; attempt: number }
  /** The attempt failed; `willRetry` when attempts remain. */
  | { type: 'failed'; id: string; job: TrainJob; attempt: number; error: unknown; willRetry: boolean }
  /** Put back in the queue unfinished (the consumer closed before it finished). */
  | { type: 'released'; id: string; job: TrainJob; attempt: number };
