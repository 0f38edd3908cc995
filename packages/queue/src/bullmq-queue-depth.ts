/**
 * How many jobs a BullMQ queue holds in each state, for metrics (BullMQ's own `exportPrometheusMetrics()` output
 * fails `promtool check metrics`: no trailing newline, HELP and TYPE repeated per queue): read on demand, e.g. by
 * a gauge's collect().
 */
import { Queue } from 'bullmq';

import { checkQueueOptions, connectionOf, type BullMqQueueOptions } from './bullmq-options';

/** The states counted: waiting (and prioritized) for a worker, running, delayed for a retry, and finished. */
export const QUEUE_STATES = ['wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export class BullMqQueueDepth {
  private readonly queue: Queue;

  constructor(options: BullMqQueueOptions) {
    checkQueueOptions(options);
    this.queue = new Queue(options.queueName, {
      connection: connectionOf(options),
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    });
    this.queue.on('error', (e) => options.onError?.(e));
  }

  /** Jobs per state now. */
  async counts(): Promise<Record<QueueState, number>> {
    const counts = await this.queue.getJobCounts(...QUEUE_STATES);
    return Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s] ?? 0])) as Record<QueueState, number>;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
