/**
 * The machine-readable reasons of failed calls, mirroring the table in proto/fedkseed/v1/errors.proto, and the
 * gRPC status code each one travels with: the one place servers take the code from and clients read it back.
 */
import { status } from '@grpc/grpc-js';

/** Stable reason strings of `ErrorDetail.reason` (see errors.proto for each one's meaning and metadata keys). */
export const ErrorReason = {
  BAD_JOIN_SECRET: 'BAD_JOIN_SECRET',
  BAD_TOKEN: 'BAD_TOKEN',
  UNKNOWN_CLIENT: 'UNKNOWN_CLIENT',
  ROUND_NOT_OPEN: 'ROUND_NOT_OPEN',
  ROUND_CLOSED: 'ROUND_CLOSED',
  NOT_SELECTED: 'NOT_SELECTED',
  DUPLICATE_SUBMISSION: 'DUPLICATE_SUBMISSION',
  SEED_INDEX_OUT_OF_RANGE: 'SEED_INDEX_OUT_OF_RANGE',
  SEED_NOT_ASSIGNED: 'SEED_NOT_ASSIGNED',
  NON_FINITE_SCALAR: 'NON_FINITE_SCALAR',
  TOO_MANY_PAIRS: 'TOO_MANY_PAIRS',
  INVALID_FIELD: 'INVALID_FIELD',
  STALE_VERSION: 'STALE_VERSION',
  CANDIDATE_SEEDS_MISMATCH: 'CANDIDATE_SEEDS_MISMATCH',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
} as const;

export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

/** The gRPC status code that each reason is sent with (errors.proto's table). */
export const ERROR_REASON_STATUS: Readonly<Record<ErrorReason, status>> = {
  BAD_JOIN_SECRET: status.UNAUTHENTICATED,
  BAD_TOKEN: status.UNAUTHENTICATED,
  UNKNOWN_CLIENT: status.NOT_FOUND,
  ROUND_NOT_OPEN: status.FAILED_PRECONDITION,
  ROUND_CLOSED: status.FAILED_PRECONDITION,
  NOT_SELECTED: status.PERMISSION_DENIED,
  DUPLICATE_SUBMISSION: status.ALREADY_EXISTS,
  SEED_INDEX_OUT_OF_RANGE: status.INVALID_ARGUMENT,
  SEED_NOT_ASSIGNED: status.INVALID_ARGUMENT,
  NON_FINITE_SCALAR: status.INVALID_ARGUMENT,
  TOO_MANY_PAIRS: status.INVALID_ARGUMENT,
  INVALID_FIELD: status.INVALID_ARGUMENT,
  STALE_VERSION: status.FAILED_PRECONDITION,
  CANDIDATE_SEEDS_MISMATCH: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  STORE_UNAVAILABLE: status.UNAVAILABLE,
};

/** True when `reason` is one of the reasons this version knows (an unknown one is handled by status code). */
export function isErrorReason(reason: string): reason is ErrorReason {
  return Object.prototype.hasOwnProperty.call(ErrorReason, reason);
}
