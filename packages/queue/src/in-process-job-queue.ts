/**
 * The job queue of a one-process federation (`fedkseed simulate`): producer and consumer in one object, with
 * the semantics of the BullMQ queue it stands in for: a job id enqueued once is never added again (finished or
 * not), at most `concurrency` jobs run at once, a failed attempt is retried after an exponential backoff up to
 * `attempts`, and closing finishes (or, past the grace, releases) the jobs in progress.
 */
import type {
  CloseOptions,
  TrainJobConsumer,
  TrainJobCounts,
  TrainJobCountsSource,
  TrainJobEvent,
  TrainJobHandler,
  TrainJobProducer,
} from './job-queue';
import { checkTrainJob, trainJobId, type TrainJob } from './train-job';

export interface InProcessJobQueueOptions {
  /** Jobs handled at once. @default 1 */
  concurrency?: number;
  /** Attempts per job, the first included. @default 3 */
  attempts?: number;
  /** Wait before the second attempt; each further one waits twice as long (ms). @default 1000 */
  backoffMs?: number;
  onEvent?: (event: TrainJobEvent) => void;
}

type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

interface Entry {
  id: string;
  job: TrainJob;
  state: JobState;
  /** Attempts that ended in a failure. */
  failures: number;
}

class ReleasedError extends Error {}

export class InProcessJobQueue implements TrainJobProducer, TrainJobConsumer, TrainJobCountsSource {
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<Entry, { controller: AbortController; done: Promise<void> }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private handler: TrainJobHandler | undefined;
  private closing = false;

  constructor(private readonly options: InProcessJobQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 1;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new RangeError(`concurrency must be an integer >= 1, got ${this.concurrency}`);
    if (!Number.isInteger(this.attempts) || this.attempts < 1)
      throw new RangeError(`attempts must be an integer >= 1, got ${this.attempts}`);
    if (!(this.backoffMs >= 0)) throw new RangeError(`backoffMs must be >= 0, got ${this.backoffMs}`);
  }

  async enqueue(jobs: readonly TrainJob[]): Promise<void> {
    const checked = jobs.map((job) => ({ id: trainJobId(job), job: checkTrainJob(job) })); // all or nothing
    for (const { id, job } of checked) {
      if (this.entries.has(id)) continue;
      const entry: Entry = { id, job, state: 'waiting', failures: 0 };
      this.entries.set(id, entry);
      this.waiting.push(entry);
    }
    this.pump();
  }

  start(handler: TrainJobHandler): void {
    if (this.handler) throw new Error('InProcessJobQueue: start() was called already');
    if (this.closing) throw new Error('InProcessJobQueue: closed');
    this.handler = handler;
    this.pump();
  }

  async close(options: CloseOptions = {}): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const graceMs = options.graceMs ?? Infinity;
    let grace: NodeJS.Timeout | undefined;
    if (Number.isFinite(graceMs) && this.running.size > 0)
      grace = setTimeout(() => {
        for (const { controller } of this.running.values()) controller.abort(new ReleasedError('the queue is closing'));
      }, graceMs);
    try {
      await Promise.all([...this.running.values()].map((r) => r.done));
    } finally {
      clearTimeout(grace);
    }
    this.notifyIdle();
  }

  /** Resolves once no job is waiting, delayed or running (immediately when none is). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async getJobCounts(): Promise<TrainJobCounts> {
    const counts: TrainJobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
    for (const { state } of this.entries.values()) counts[state]++;
    return counts;
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.running.size === 0 && this.timers.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.closing) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private pump(): void {
    while (this.handler && !this.closing && this.running.size < this.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      const controller = new AbortController();
      this.running.set(entry, { controller, done: this.runAttempt(entry, this.handler, controller) });
    }
    this.notifyIdle();
  }

  private async runAttempt(entry: Entry, handler: TrainJobHandler, controller: AbortController): Promise<void> {
    await Promise.resolve(); // run the handler outside pump()'s loop
    const attempt = entry.failures + 1;
    const base = { id: entry.id, job: entry.job, attempt };
    entry.state = 'active';
    this.emit({ type: 'active', ...base });
    try {
      await handler({ ...entry.job }, controller.signal);
      entry.state = 'completed';
      this.emit({ type: 'completed', ...base });
    } catch (error) {
      if (controller.signal.reason instanceof ReleasedError) {
        entry.state = 'waiting';
        this.waiting.unshift(entry);
        this.emit({ type: 'released', ...base });
      } else {
        entry.failures++;
        const willRetry = entry.failures < this.attempts;
        this.emit({ type: 'failed', ...base, error, willRetry });
        if (!willRetry) entry.state = 'failed';
        else if (this.closing) {
          entry.state = 'waiting'; // kept for whoever would start the queue again; nothing runs after close
          this.waiting.push(entry);
        } else this.retryLater(entry);
      }
    } finally {
      this.running.delete(entry);
      this.pump();
    }
  }

  private retryLater(entry: Entry): void {
    entry.state = 'delayed';
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        entry.state = 'waiting';
        this.waiting.push(entry);
        this.pump();
      },
      this.backoffMs * 2 ** (entry.failures - 1),
    );
    this.timers.add(timer);
  }

  private emit(event: TrainJobEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a listener's failure is not the job's
    }
  }
}
