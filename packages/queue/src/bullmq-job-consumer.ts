/**
 * Trains jobs from a BullMQ queue (the worker's side). A BullMQ worker holds a lock on each job it runs and
 * renews it every `lockDurationMs / 2`; a worker that dies (SIGKILL, a lost node) stops renewing, and after
 * the lock expires the stalled-job check of any live worker, every `stalledIntervalMs`, puts the job back
 * in the queue for another worker. A handler that throws fails the attempt, retried with backoff up to the
 * job's attempts. `close()` (SIGTERM) takes no new job and waits for the running ones; past its grace it
 * aborts them and puts them back in the queue unfinished, without counting an attempt.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';

import { checkQueueOptions, connectionOf, type BullMqQueueOptions } from './bullmq-options';
import type { CloseOptions, TrainJobConsumer, TrainJobEvent, TrainJobHandler } from './job-queue';
import { trainJobProblem, type TrainJob } from './train-job';

export interface BullMqJobConsumerOptions extends BullMqQueueOptions {
  /** Jobs trained at once by this process: one per accelerator. @default 1 */
  concurrency?: number;
  /** How often this worker looks for jobs whose worker died (ms). @default 30_000 */
  stalledIntervalMs?: number;
  /**
   * How long a job's lock lives unless renewed (ms): a dead worker's job is retried this long (plus up to one
   * stalled interval) after it died. Renewals run on the event loop: keep it well above the longest stretch
   * the handler blocks the loop (one forward pass). @default 30_000
   */
  lockDurationMs?: number;
  /** Times a job may be taken back from a dead worker before it fails. @default 1 */
  maxStalledCount?: number;
  /** This worker's name, stored on the jobs it takes (monitoring). */
  name?: string;
  onEvent?: (event: TrainJobEvent) => void;
}

class ReleasedError extends Error {}

export class BullMqJobConsumer implements TrainJobConsumer {
  private worker: Worker<TrainJob> | undefined;
  private readonly running = new Map<string, AbortController>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BullMqJobConsumerOptions) {
    checkQueueOptions(options);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }

  start(handler: TrainJobHandler): void {
    if (this.worker) throw new Error('BullMqJobConsumer: start() was called already');
    if (this.closing) throw new Error('BullMqJobConsumer: closed');
    const o = this.options;
    this.worker = new Worker<TrainJob>(o.queueName, (job, token) => this.process(job, token, handler), {
      connection: connectionOf(o),
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      concurrency: o.concurrency ?? 1,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      lockDuration: o.lockDurationMs ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 1,
    });
    this.worker.on('error', (e) => o.onError?.(e));
  }

  /** Resolves once the worker is connected and taking jobs (tests; start() does not wait for it). */
  async ready(): Promise<void> {
    if (!this.worker) throw new Error('BullMqJobConsumer: start() first');
    await this.worker.waitUntilReady();
  }

  async close(options: CloseOptions = {}): Promise<void> {
    if (!this.worker) return;
    if (!this.closing) {
      const graceMs = options.graceMs ?? Infinity;
      const grace = Number.isFinite(graceMs)
        ? setTimeout(() => {
            for (const controller of this.running.values())
              controller.abort(new ReleasedError('the worker is closing'));
          }, graceMs)
        : undefined;
      this.closing = this.worker.close().finally(() => clearTimeout(grace));
    }
    await this.closing;
  }

  private async process(job: Job<TrainJob>, token: string | undefined, handler: TrainJobHandler): Promise<void> {
    const id = job.id!;
    const problem = trainJobProblem(job.data);
    if (problem) throw new UnrecoverableError(`job ${id} is not a train job: ${problem}`);
    const data: TrainJob = { runId: job.data.runId, round: job.data.round, clientId: job.data.clientId };
    const attempt = job.attemptsMade + 1;
    const base = { id, job: data, attempt };
    const controller = new AbortController();
    this.running.set(id, controller);
    this.emit({ type: 'active', ...base });
    try {
      await handler(data, controller.signal);
      this.emit({ type: 'completed', ...base });
    } catch (error) {
      if (controller.signal.reason instanceof ReleasedError) {
        await job.moveToWait(token);
        this.emit({ type: 'released', ...base });
        throw new WaitingError(); // BullMQ: the job left the active state on purpose; not a failure
      }
      this.emit({ type: 'failed', ...base, error, willRetry: attempt < (job.opts.attempts ?? 1) });
      throw error;
    } finally {
      this.running.delete(id);
    }
  }

  private emit(event: TrainJobEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a listener's failure is not the job's
    }
  }
}
