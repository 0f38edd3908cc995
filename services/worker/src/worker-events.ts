/** What a worker reports while it works, for logs, progress bars and tests. */
import type { TrainJob } from '@fedkseed/queue';

import type { TrainJobOutcome } from './train-job-round';

export type WorkerEvent =
  /** Every client of the population is registered (or was already): the worker takes jobs from now on. */
  | { type: 'registered'; runId: string; numClients: number }
  /** A job began on client `clientIndex` of the population. */
  | { type: 'job-started'; job: TrainJob; clientIndex: number }
  /** The job's model replica reached the run's version: a catch-up replayed (`via` its encoding) or a rebuild. */
  | { type: 'synced'; job: TrainJob; via: string; numSeeds: number; durationMs: number }
  /** Local step `step` (1-based) of a job's round finished. */
  | { type: 'step'; job: TrainJob; step: number; numLocalSteps: number; loss: number; skipped: boolean }
  /** A job ended without error (trained, or nothing to train). */
  | { type: 'job-finished'; job: TrainJob; outcome: TrainJobOutcome; durationMs: number }
  /** A job threw: the queue retries it, or releases it when the worker is closing. */
  | { type: 'job-failed'; job: TrainJob; error: unknown; durationMs: number };
