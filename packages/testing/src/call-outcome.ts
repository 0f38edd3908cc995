/**
 * How a gRPC call ended, and whether that is an ending the fedkseed.v1 API documents: OK, or a status code with
 * an ErrorDetail whose reason errors.proto lists and sends with that very code. Anything else (UNKNOWN,
 * INTERNAL, a status without its ErrorDetail, a reason with another code) is a defect of the server.
 */
import { type Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ERROR_REASON_STATUS, errorReasonToJSON, isKnownErrorReason, readErrorDetail } from '@fedkseed/proto';

export interface CallOutcome {
  code: status;
  /** The status message. */
  details: string;
  /** The ErrorDetail reason by name (e.g. "ERROR_REASON_BAD_TOKEN"), when the trailers carry one. */
  reason?: string;
  /** Set when the reason is one this version knows and it came with the code errors.proto assigns to it. */
  documented: boolean;
}

/** The outcome of a call that failed with `error` (null: it succeeded). */
export function outcomeOf(error: ServiceError | null): CallOutcome {
  if (!error) return { code: status.OK, details: 'OK', documented: true };
  return outcomeOfStatus(error.code, error.details, error.metadata);
}

export function outcomeOfStatus(code: status, details: string, trailers: Metadata | undefined): CallOutcome {
  if (code === status.OK) return { code, details, documented: true };
  const detail = readErrorDetail(trailers);
  if (!detail) return { code, details, documented: false };
  const reason = detail.reason;
  return {
    code,
    details,
    reason: errorReasonToJSON(reason),
    documented: isKnownErrorReason(reason) && ERROR_REASON_STATUS[reason] === code,
  };
}

/** What is wrong with an outcome, or undefined when the API documents it. */
export function undocumentedOutcome(outcome: CallOutcome): string | undefined {
  if (outcome.documented) return undefined;
  const what = `${status[outcome.code] ?? outcome.code} (${JSON.stringify(outcome.details)})`;
  return outcome.reason
    ? `${what} with reason ${outcome.reason}, which errors.proto sends with another code`
    : `${what} without an ErrorDetail`;
}

/** The label of an outcome in a tally: "OK" or the reason (the code when there is none). */
export function outcomeLabel(outcome: CallOutcome): string {
  return outcome.code === status.OK ? 'OK' : (outcome.reason ?? status[outcome.code] ?? String(outcome.code));
}
