/** What a FedKSeedClient reports while it works, for progress bars, logs and metrics. */
import type { RunConfig } from '@fedkseed/proto';

import type { RetryEvent } from './aggregator-connection';

export interface ClientEvents {
  /** RegisterClient answered. */
  registered: { clientId: string; run: RunConfig; initialModelVersion: number };
  /** The local model now stands at `toVersion`: a catch-up applied, or a rebuild from w0 with the run's exact A. */
  synced: {
    fromVersion: number;
    toVersion: number;
    /** 'sparse' | 'dense' | 'denseBfloat16' for a catch-up; 'rebuild' for a rebuild from w0. */
    via: string;
    /** Seeds whose change was replayed into the weights. */
    numSeeds: number;
    /** Why a rebuild happened (STALE_VERSION, a fingerprint mismatch, exact sync), when it did. */
    rebuildReason?: string;
    durationMs: number;
  };
  /** Local step `step` (1-based) of `numLocalSteps` finished. */
  step: { round: number; step: number; numLocalSteps: number; loss: number; skipped: boolean };
  /** An upload was accepted (or recognised as a repeat of one already counted: `duplicate`). */
  submitted: { round: number; numPairs: number; skippedSteps: number; duplicate: boolean; meanLocalLoss: number };
  /** Nothing to do yet; the next GetTask after `retryAfterMs`. */
  waiting: { retryAfterMs: number };
  /** A call failed with a retryable status and is about to be repeated. */
  retry: RetryEvent;
  /** The run is over; the model stands at the final version. */
  done: { modelVersion: number };
}

export type ClientEventName = keyof ClientEvents;
export type ClientEventListener<E extends ClientEventName> = (event: ClientEvents[E]) => void;
