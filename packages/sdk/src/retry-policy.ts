/**
 * Retries in one place. Only calls that are safe to repeat are retried (GetTask; GetRunState; RegisterClient with
 * an idempotency key; SubmitScalarGradients, which the server counts once per (round, client) and answers a
 * repeat with `duplicate = true`), and only on the status codes that say "try again": the server or the network is
 * unavailable, the deadline passed, or the server asked for less load. A delay the server asks for
 * (`retry_after_ms`) wins over the backoff.
 *
 * Hand-written rather than taken from a retry library: the delay must come from the server's error when it sends
 * one, and the wait must end on an AbortSignal; the general-purpose libraries (p-retry is ESM-only here, the
 * `retry` and `exponential-backoff` packages) offer neither. grpc-js's own retry policy caps attempts at 5 and
 * cannot honour the error-detail delay.
 */
import { status } from '@grpc/grpc-js';

import { FedKSeedAbortError, throwIfAborted } from './errors';

/** The gRPC status codes that make an idempotent call worth repeating. */
export const RETRYABLE_STATUS_CODES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. @default 8 */
  maxAttempts?: number;
  /** Backoff ceiling before the first retry (ms). @default 200 */
  initialBackoffMs?: number;
  /** Largest backoff ceiling (ms). @default 10_000 */
  maxBackoffMs?: number;
  /** Growth of the ceiling per attempt. @default 2 */
  backoffMultiplier?: number;
}

export type FullRetryPolicy = Required<RetryPolicy>;

export function retryPolicyWithDefaults(policy: RetryPolicy = {}): FullRetryPolicy {
  const full = {
    maxAttempts: policy.maxAttempts ?? 8,
    initialBackoffMs: policy.initialBackoffMs ?? 200,
    maxBackoffMs: policy.maxBackoffMs ?? 10_000,
    backoffMultiplier: policy.backoffMultiplier ?? 2,
  };
  if (!Number.isInteger(full.maxAttempts) || full.maxAttempts < 1)
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${full.maxAttempts}`);
  if (!(full.initialBackoffMs >= 0) || !(full.maxBackoffMs >= full.initialBackoffMs))
    throw new RangeError('retry: need 0 <= initialBackoffMs <= maxBackoffMs');
  if (!(full.backoffMultiplier >= 1)) throw new RangeError('retry.backoffMultiplier must be >= 1');
  return full;
}

/**
 * The wait before retry number `retry` (1 = the first retry): "full jitter", uniform in [0, ceiling) with the
 * ceiling growing geometrically, so that many clients failing together do not retry together.
 */
export function backoffDelayMs(retry: number, policy: FullRetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.backoffMultiplier ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or rejects with a FedKSeedAbortError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new FedKSeedAbortError(undefined, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
