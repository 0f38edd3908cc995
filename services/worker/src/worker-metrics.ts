/**
 * The worker's own series: jobs (by outcome, their duration, attempts that failed and will be retried), the
 * local ZO steps (their time, skipped ones), the model's syncs (catch-up replays and rebuilds, their time), and
 * the queue's depth per state, read from BullMQ when scraped. Labels are bounded sets, never a client or a round.
 */
import { METRIC_PREFIX } from '@fedkseed/process-kit';
import type { QueueState, TrainJobEvent } from '@fedkseed/queue';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { WorkerEvent } from './worker-events';

const m = (name: string) => `${METRIC_PREFIX}${name}`;

const JOB_SECONDS_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const STEP_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SYNC_SECONDS_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface WorkerMetricsOptions {
  /** Reads the queue's jobs per state at scrape time (e.g. BullMqQueueDepth.counts); absent: no queue series. */
  queueDepth?: () => Promise<Record<QueueState, number>>;
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly jobs = new Counter({
    name: m('worker_jobs_total'),
    help: 'Train jobs ended, by outcome: trained, nothing (the round had moved on), failed.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly jobSeconds = new Histogram({
    name: m('worker_job_duration_seconds'),
    help: 'Wall time of a train job: registration, sync, local steps and upload.',
    labelNames: ['outcome'],
    buckets: JOB_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: m('worker_job_retries_total'),
    help: 'Job attempts that failed and go back to the queue for another attempt.',
    registers: [this.registry],
  });
  private readonly released = new Counter({
    name: m('worker_jobs_released_total'),
    help: 'Jobs put back in the queue unfinished because the worker was stopping.',
    registers: [this.registry],
  });
  private readonly stepSeconds = new Histogram({
    name: m('zo_step_seconds'),
    help: 'One local ZO step (two forward passes and the update), from the end of the one before.',
    buckets: STEP_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly stepsSkipped = new Counter({
    name: m('worker_zo_steps_skipped_total'),
    help: 'Local ZO steps skipped (a non-finite loss difference, or past the clip).',
    registers: [this.registry],
  });
  private readonly syncSeconds = new Histogram({
    name: m('model_sync_seconds'),
    help: "Bringing a model replica to the run's version, by how: a catch-up replay (sparse, dense, denseBfloat16) or a rebuild from w0.",
    labelNames: ['via'],
    buckets: SYNC_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly lastStepAt = new Map<string, number>();

  constructor(options: WorkerMetricsOptions = {}) {
    const read = options.queueDepth;
    if (read)
      new Gauge({
        name: m('queue_jobs'),
        help: "Jobs in the run's queue, by state (every worker of the run reports the same queue).",
        labelNames: ['state'],
        registers: [this.registry],
        async collect() {
          const counts = await read();
          for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
        },
      });
  }

  onWorkerEvent(event: WorkerEvent): void {
    const key = event.type === 'registered' ? '' : `${event.job.round}/${event.job.clientId}`;
    switch (event.type) {
      case 'job-started':
      case 'synced':
        if (event.type === 'synced') this.syncSeconds.observe({ via: event.via }, event.durationMs / 1000);
        this.lastStepAt.set(key, performance.now());
        break;
      case 'step': {
        const now = performance.now();
        const last = this.lastStepAt.get(key);
        if (last !== undefined) this.stepSeconds.observe((now - last) / 1000);
        this.lastStepAt.set(key, now);
        if (event.skipped) this.stepsSkipped.inc();
        break;
      }
      case 'job-finished':
      case 'job-failed': {
        const outcome =
          event.type === 'job-failed' ? 'failed' : event.outcome.status === 'trained' ? 'trained' : 'nothing';
        this.jobs.inc({ outcome });
        this.jobSeconds.observe({ outcome }, event.durationMs / 1000);
        this.lastStepAt.delete(key);
        break;
      }
    }
  }

  /** The consumer's events: retried attempts and released jobs. */
  onQueueEvent(event: TrainJobEvent): void {
    if (event.type === 'failed' && event.willRetry) this.retries.inc();
    else if (event.type === 'released') this.released.inc();
  }
}
