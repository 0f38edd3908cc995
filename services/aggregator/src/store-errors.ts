/**
 * The one table from store refusals to API errors: the `ErrorReason` a handler answers when the store refuses
 * an operation, and so the status code (`ERROR_REASON_STATUS` of @fedkseed/proto). It is keyed by every store
 * reason, so a reason added to the store does not compile until it is placed here. `undefined`: never the
 * caller's doing (a bug, or a race among the lifecycle's replicas that it resolves itself); such a failure
 * reaches a caller only as INTERNAL, its details withheld.
 */
import { ErrorReason, type KnownErrorReason } from '@fedkseed/proto';
import { ApiError, type ErrorMetadata } from '@fedkseed/service-kit';
import type { StoreError, StoreErrorReason } from '@fedkseed/store';

export const STORE_ERROR_API_REASON: Readonly<Record<StoreErrorReason, KnownErrorReason | undefined>> = {
  RUN_NOT_INITIALIZED: undefined,
  RUN_CONFIG_MISMATCH: undefined,
  // A registration retried with its idempotency key but other fields.
  CLIENT_CONFLICT: ErrorReason.ERROR_REASON_INVALID_FIELD,
  // The join secret the registration came with has admitted its most clients.
  REGISTRATION_LIMIT: ErrorReason.ERROR_REASON_RESOURCE_EXHAUSTED,
  // The run has registered MAX_CLIENTS clients.
  CLIENT_LIMIT: ErrorReason.ERROR_REASON_RESOURCE_EXHAUSTED,
  UNKNOWN_CLIENT: ErrorReason.ERROR_REASON_UNKNOWN_CLIENT,
  STALE_VERSION: ErrorReason.ERROR_REASON_STALE_VERSION,
  ROUND_ALREADY_OPEN: undefined,
  ROUND_NOT_OPEN: ErrorReason.ERROR_REASON_ROUND_NOT_OPEN,
  ROUND_CLOSED: ErrorReason.ERROR_REASON_ROUND_CLOSED,
  // The round's uploads are gone: to a caller, the round no longer accepts anything.
  ROUND_PRUNED: ErrorReason.ERROR_REASON_ROUND_CLOSED,
  NOT_SELECTED: ErrorReason.ERROR_REASON_NOT_SELECTED,
  DUPLICATE_SUBMISSION: ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION,
  LEASE_HELD: undefined,
  LEASE_LOST: undefined,
  ALREADY_CLOSED: undefined,
  ROUND_NOT_CLOSING: undefined,
  CONCURRENT_UPDATE: undefined,
  // Handlers validate requests before the store sees them, so the store refusing an argument is a bug.
  INVALID_ARGUMENT: undefined,
  // The store saw the upload too late to apply it (it stalled): to the caller, the store was unavailable.
  WRITE_EXPIRED: ErrorReason.ERROR_REASON_STORE_UNAVAILABLE,
};

/** The ApiError of a store refusal, with the API's message and metadata; the refusal itself when it has none. */
export function apiErrorOfStore(e: StoreError, message: string, metadata: ErrorMetadata = {}): ApiError | StoreError {
  const reason = STORE_ERROR_API_REASON[e.reason];
  return reason === undefined ? e : new ApiError(reason, message, metadata, { cause: e });
}
