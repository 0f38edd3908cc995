/**
 * The gRPC status code each `ErrorReason` (generated from proto/fedkseed/v1/errors.proto) travels with: the one
 * place servers take the code from, and where clients can check that a reason came with its documented code.
 * The table is keyed by every known reason, so a reason added to errors.proto does not compile until it has one.
 */
import { status } from '@grpc/grpc-js';

import { ErrorReason } from './generated/fedkseed/v1/errors';

/** Every reason a server sends: the enum without its zero value and ts-proto's UNRECOGNIZED. */
export type KnownErrorReason = Exclude<ErrorReason, ErrorReason.ERROR_REASON_UNSPECIFIED | ErrorReason.UNRECOGNIZED>;

/** The gRPC status code that each reason is sent with (the code errors.proto names first in its comment). */
export const ERROR_REASON_STATUS: Readonly<Record<KnownErrorReason, status>> = {
  [ErrorReason.ERROR_REASON_BAD_JOIN_SECRET]: status.UNAUTHENTICATED,
  [ErrorReason.ERROR_REASON_BAD_TOKEN]: status.UNAUTHENTICATED,
  [ErrorReason.ERROR_REASON_UNKNOWN_CLIENT]: status.NOT_FOUND,
  [ErrorReason.ERROR_REASON_ROUND_NOT_OPEN]: status.FAILED_PRECONDITION,
  [ErrorReason.ERROR_REASON_ROUND_CLOSED]: status.FAILED_PRECONDITION,
  [ErrorReason.ERROR_REASON_NOT_SELECTED]: status.PERMISSION_DENIED,
  [ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION]: status.ALREADY_EXISTS,
  [ErrorReason.ERROR_REASON_SEED_INDEX_OUT_OF_RANGE]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_SEED_NOT_ASSIGNED]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_NON_FINITE_SCALAR]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_TOO_MANY_PAIRS]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_INVALID_FIELD]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_STALE_VERSION]: status.FAILED_PRECONDITION,
  [ErrorReason.ERROR_REASON_CANDIDATE_SEEDS_MISMATCH]: status.FAILED_PRECONDITION,
  [ErrorReason.ERROR_REASON_RESOURCE_EXHAUSTED]: status.RESOURCE_EXHAUSTED,
  [ErrorReason.ERROR_REASON_STORE_UNAVAILABLE]: status.UNAVAILABLE,
  [ErrorReason.ERROR_REASON_SCALAR_OUT_OF_RANGE]: status.INVALID_ARGUMENT,
  [ErrorReason.ERROR_REASON_MALFORMED_REQUEST]: status.INVALID_ARGUMENT,
};

/** True when `reason` is one this version knows (a newer server's reason decodes as an unknown number). */
export function isKnownErrorReason(reason: ErrorReason): reason is KnownErrorReason {
  return Object.prototype.hasOwnProperty.call(ERROR_REASON_STATUS, reason);
}
