/**
 * Typed store failures. Every backend throws these through `storeError()`, so a reason means the same
 * thing (and reads the same) whichever store raised it; the gRPC layer maps `reason` to a status code in
 * one place. A failed operation never changes the store's state.
 */

export type StoreErrorReason =
  | 'RUN_NOT_INITIALIZED'
  | 'RUN_CONFIG_MISMATCH'
  | 'CLIENT_CONFLICT'
  | 'REGISTRATION_LIMIT'
  | 'CLIENT_LIMIT'
  | 'UNKNOWN_CLIENT'
  | 'STALE_VERSION'
  | 'ROUND_ALREADY_OPEN'
  | 'ROUND_NOT_OPEN'
  | 'ROUND_CLOSED'
  | 'ROUND_PRUNED'
  | 'NOT_SELECTED'
  | 'DUPLICATE_SUBMISSION'
  | 'LEASE_HELD'
  | 'LEASE_LOST'
  | 'ALREADY_CLOSED'
  | 'ROUND_NOT_CLOSING'
  | 'CONCURRENT_UPDATE'
  | 'INVALID_ARGUMENT'
  | 'WRITE_EXPIRED';

/** What a failure is about; every field is optional and only set where it applies. */
export interface StoreErrorDetails {
  round?: number;
  clientId?: string;
  closerId?: string;
  /** The store's current version (closed rounds) when the failure is about versions. */
  version?: number;
  /** The closer that holds the lease, for LEASE_HELD and LEASE_LOST. */
  leaseHolder?: string;
  leaseExpiresAtMs?: number;
  /** Free-form precision, e.g. "deadline passed" or the list of invalid arguments. */
  detail?: string;
  cause?: unknown;
}

export abstract class StoreError extends Error {
  abstract readonly reason: StoreErrorReason;
  readonly details: Readonly<StoreErrorDetails>;

  constructor(message: string, details: StoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.details = details;
  }
}

export class RunNotInitializedError extends StoreError {
  readonly reason = 'RUN_NOT_INITIALIZED' as const;
}
export class RunConfigMismatchError extends StoreError {
  readonly reason = 'RUN_CONFIG_MISMATCH' as const;
}
export class ClientConflictError extends StoreError {
  readonly reason = 'CLIENT_CONFLICT' as const;
}
export class RegistrationLimitError extends StoreError {
  readonly reason = 'REGISTRATION_LIMIT' as const;
}
export class ClientLimitError extends StoreError {
  readonly reason = 'CLIENT_LIMIT' as const;
}
export class UnknownClientError extends StoreError {
  readonly reason = 'UNKNOWN_CLIENT' as const;
}
export class StaleVersionError extends StoreError {
  readonly reason = 'STALE_VERSION' as const;
}
export class RoundAlreadyOpenError extends StoreError {
  readonly reason = 'ROUND_ALREADY_OPEN' as const;
}
export class RoundNotOpenError extends StoreError {
  readonly reason = 'ROUND_NOT_OPEN' as const;
}
export class RoundClosedError extends StoreError {
  readonly reason = 'ROUND_CLOSED' as const;
}
export class RoundPrunedError extends StoreError {
  readonly reason = 'ROUND_PRUNED' as const;
}
export class NotSelectedError extends StoreError {
  readonly reason = 'NOT_SELECTED' as const;
}
export class DuplicateSubmissionError extends StoreError {
  readonly reason = 'DUPLICATE_SUBMISSION' as const;
}
export class LeaseHeldError extends StoreError {
  readonly reason = 'LEASE_HELD' as const;
}
export class LeaseLostError extends StoreError {
  readonly reason = 'LEASE_LOST' as const;
}
export class AlreadyClosedError extends StoreError {
  readonly reason = 'ALREADY_CLOSED' as const;
}
export class RoundNotClosingError extends StoreError {
  readonly reason = 'ROUND_NOT_CLOSING' as const;
}
export class ConcurrentUpdateError extends StoreError {
  readonly reason = 'CONCURRENT_UPDATE' as const;
}
export class InvalidArgumentError extends StoreError {
  readonly reason = 'INVALID_ARGUMENT' as const;
}
export class WriteExpiredError extends StoreError {
  readonly reason = 'WRITE_EXPIRED' as const;
}

type StoreErrorClass = new (message: string, details?: StoreErrorDetails) => StoreError;

const ERROR_CLASSES: Record<StoreErrorReason, StoreErrorClass> = {
  RUN_NOT_INITIALIZED: RunNotInitializedError,
  RUN_CONFIG_MISMATCH: RunConfigMismatchError,
  CLIENT_CONFLICT: ClientConflictError,
  REGISTRATION_LIMIT: RegistrationLimitError,
  CLIENT_LIMIT: ClientLimitError,
  UNKNOWN_CLIENT: UnknownClientError,
  STALE_VERSION: StaleVersionError,
  ROUND_ALREADY_OPEN: RoundAlreadyOpenError,
  ROUND_NOT_OPEN: RoundNotOpenError,
  ROUND_CLOSED: RoundClosedError,
  ROUND_PRUNED: RoundPrunedError,
  NOT_SELECTED: NotSelectedError,
  DUPLICATE_SUBMISSION: DuplicateSubmissionError,
  LEASE_HELD: LeaseHeldError,
  LEASE_LOST: LeaseLostError,
  ALREADY_CLOSED: AlreadyClosedError,
  ROUND_NOT_CLOSING: RoundNotClosingError,
  CONCURRENT_UPDATE: ConcurrentUpdateError,
  INVALID_ARGUMENT: InvalidArgumentError,
  WRITE_EXPIRED: WriteExpiredError,
};

const SUMMARIES: Record<StoreErrorReason, string> = {
  RUN_NOT_INITIALIZED: 'the run has not been initialized',
  RUN_CONFIG_MISMATCH: 'the run was initialized with a different configuration',
  CLIENT_CONFLICT: 'the client is registered with different fields',
  REGISTRATION_LIMIT: 'the join secret has admitted its most clients',
  CLIENT_LIMIT: 'the run has registered its most clients',
  UNKNOWN_CLIENT: 'the client is not registered',
  STALE_VERSION: 'the round or version does not match the store version',
  ROUND_ALREADY_OPEN: 'the round is already open',
  ROUND_NOT_OPEN: 'the round has not been opened',
  ROUND_CLOSED: 'the round no longer accepts uploads',
  ROUND_PRUNED: "the round's participants and uploads were deleted (rounds keep them until PRUNE_LAG rounds later)",
  NOT_SELECTED: 'the client is not a participant of the round',
  DUPLICATE_SUBMISSION: 'the client already submitted a different upload for the round',
  LEASE_HELD: 'another closer holds a live lease on the round',
  LEASE_LOST: 'the round is leased to another closer',
  ALREADY_CLOSED: 'the round is already closed',
  ROUND_NOT_CLOSING: 'the round is not closing (call beginClose first)',
  CONCURRENT_UPDATE: 'the state changed concurrently too many times; retry',
  INVALID_ARGUMENT: 'invalid argument',
  WRITE_EXPIRED: 'the write reached the store after its caller gave up on it; nothing was written',
};

/** The one way failures are built: the reason picks the class, the details make the message. */
export function storeError(reason: StoreErrorReason, details: StoreErrorDetails = {}): StoreError {
  const facts: string[] = [];
  if (details.round !== undefined) facts.push(`round ${details.round}`);
  if (details.clientId !== undefined) facts.push(`client ${JSON.stringify(details.clientId)}`);
  if (details.closerId !== undefined) facts.push(`closer ${JSON.stringify(details.closerId)}`);
  if (details.version !== undefined) facts.push(`store version ${details.version}`);
  if (details.leaseHolder !== undefined) facts.push(`lease holder ${JSON.stringify(details.leaseHolder)}`);
  if (details.leaseExpiresAtMs !== undefined) facts.push(`lease expires at ${details.leaseExpiresAtMs} ms`);
  if (details.detail !== undefined) facts.push(details.detail);
  const message = `${reason}: ${SUMMARIES[reason]}${facts.length ? ` (${facts.join('; ')})` : ''}`;
  return new ERROR_CLASSES[reason](message, details);
}

/** True for a store failure, and for one with the given reason when `reason` is set. */
export function isStoreError(e: unknown, reason?: StoreErrorReason): e is StoreError {
  return e instanceof StoreError && (reason === undefined || e.reason === reason);
}
