/**
 * What the SDK throws: small Error subclasses with `cause`, and type guards. A refusal by the server carries the
 * gRPC status code and the machine-readable reason of its ErrorDetail trailer (proto/fedkseed/v1/errors.proto).
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { errorReasonToJSON, readErrorDetail, type ErrorReason } from '@fedkseed/proto';

/** Base class of everything the SDK throws on purpose. */
export class FedKSeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FedKSeedError';
  }
}

/** A call failed with a gRPC status: refused by the server (with its `reason`) or cut by the transport. */
export class FedKSeedCallError extends FedKSeedError {
  /** The RPC, e.g. "SubmitScalarGradients". */
  readonly method: string;
  /** gRPC status code. */
  readonly code: status;
  /**
   * ErrorDetail.reason, e.g. `ErrorReason.ERROR_REASON_STALE_VERSION`; undefined when the server sent none
   * (transport failures). A reason from a newer server that this version does not know is its number.
   */
  readonly reason: ErrorReason | undefined;
  /** ErrorDetail.metadata (numbers in decimal, durations in ms as each key says). */
  readonly details: Readonly<Record<string, string>>;
  /** Attempts made, retries included. */
  readonly attempts: number;

  constructor(method: string, error: ServiceError, attempts: number) {
    const detail = readErrorDetail(error.metadata);
    const reasonName = detail?.reason ? `/${errorReasonToJSON(detail.reason)}` : '';
    super(
      `${method} failed: ${status[error.code] ?? error.code}${reasonName}: ${error.details || error.message}` +
        (attempts > 1 ? ` (after ${attempts} attempts)` : ''),
      { cause: error },
    );
    this.name = 'FedKSeedCallError';
    this.method = method;
    this.code = error.code;
    this.reason = detail?.reason || undefined;
    this.details = { ...(detail?.metadata ?? {}) };
    this.attempts = attempts;
  }

  /** The delay the server asked for before a retry (`retry_after_ms`), if any. */
  get retryAfterMs(): number | undefined {
    const value = Number(this.details.retry_after_ms);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
}

/** The operation was cancelled through its AbortSignal. */
export class FedKSeedAbortError extends FedKSeedError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The local model does not match the run: after a rebuild from w0 its fingerprint still disagrees. */
export class ModelDivergedError extends FedKSeedError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDivergedError';
  }
}

/** A rebuild found the run at another version than the task's: the task is out of date. */
export class StaleTaskError extends FedKSeedError {
  constructor(
    readonly taskVersion: number,
    readonly runVersion: number,
  ) {
    super(`the task trains from version ${taskVersion} but the run is at ${runVersion}`);
    this.name = 'StaleTaskError';
  }
}

export function isFedKSeedCallError(e: unknown, reason?: ErrorReason): e is FedKSeedCallError {
  return e instanceof FedKSeedCallError && (reason === undefined || e.reason === reason);
}

export function isAbortError(e: unknown): boolean {
  return e instanceof FedKSeedAbortError || (e instanceof Error && e.name === 'AbortError');
}

/** Throws a FedKSeedAbortError (with the signal's reason as cause) if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FedKSeedAbortError(undefined, { cause: signal.reason });
}
