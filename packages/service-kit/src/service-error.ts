/**
 * Typed API errors and the one place they become gRPC statuses. A handler throws `ApiError(reason, ...)`;
 * `toGrpcStatus` sends it with the status code errors.proto assigns to that reason (ERROR_REASON_STATUS)
 * and an ErrorDetail in the `x-fedkseed-error-detail-bin` trailer. Anything else is either an unreachable
 * store (UNAVAILABLE/STORE_UNAVAILABLE, retryable) or a bug (INTERNAL, details withheld from the caller).
 */
import { Metadata, status, type handleUnaryCall, type ServerUnaryCall, type StatusObject } from '@grpc/grpc-js';
import {
  ERROR_REASON_STATUS,
  ErrorReason,
  errorDetailMetadata,
  errorReasonToJSON,
  type KnownErrorReason,
} from '@fedkseed/proto';

import type { Logger } from '@fedkseed/process-kit';

export type ErrorMetadata = Readonly<Record<string, string | number | bigint>>;

/** A failure the caller can act on: an `ErrorReason` and the context errors.proto lists for it. */
export class ApiError extends Error {
  constructor(
    readonly reason: KnownErrorReason,
    message: string,
    /** Keys in lower_snake_case as errors.proto names them; numbers are sent in decimal. */
    readonly metadata: ErrorMetadata = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export function isApiError(e: unknown, reason?: ErrorReason): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}

/** How long a client should back off when the store is unreachable (ms). */
export const STORE_RETRY_AFTER_MS = 1000;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True for the failures of an unreachable store: socket errors, and ioredis giving up on a command or
 * writing to a closed connection. Detected by shape so that service-kit does not depend on ioredis.
 */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  return /^(Connection is closed|Stream isn't writeable|Command timed out)/.test(e.message);
}

/** The status object a unary handler passes to its callback: code, message and trailing metadata. */
export type GrpcStatus = Pick<StatusObject, 'code' | 'details' | 'metadata'>;

/** The one mapping from a thrown value to what the caller sees. */
export function toGrpcStatus(e: unknown): GrpcStatus {
  if (e instanceof ApiError) {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(e.metadata)) metadata[key] = String(value);
    return {
      code: ERROR_REASON_STATUS[e.reason],
      details: e.message,
      metadata: errorDetailMetadata({ reason: e.reason, metadata }),
    };
  }
  if (isConnectionError(e)) {
    return toGrpcStatus(
      new ApiError(
        ErrorReason.ERROR_REASON_STORE_UNAVAILABLE,
        'the round-state store is unreachable; retry with backoff',
        {
          retry_after_ms: STORE_RETRY_AFTER_MS,
        },
      ),
    );
  }
  return { code: status.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

/** Context of a unary call that handlers need besides the request. */
export interface UnaryContext {
  metadata: Metadata;
}

/**
 * A grpc-js unary handler from an async function: the result is sent, a throw goes through `toGrpcStatus`.
 * Caller errors (ApiError) are logged at debug, the store being down at warn, anything else at error.
 */
export function unaryHandler<Req, Res>(
  logger: Logger,
  handler: (request: Req, context: UnaryContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    handler(call.request, { metadata: call.metadata }).then(
      (response) => callback(null, response),
      (e: unknown) => {
        const grpcStatus = toGrpcStatus(e);
        // The method name ("/fedkseed.v1.AggregatorService/GetTask") is looked up only for the log of a failure.
        const fields = { method: call.getPath(), code: status[grpcStatus.code], err: e };
        if (e instanceof ApiError)
          logger.debug('call refused', { ...fields, reason: errorReasonToJSON(e.reason), err: undefined });
        else if (grpcStatus.code === status.UNAVAILABLE) logger.warn('store unavailable', fields);
        else logger.error('call failed', fields);
        callback(grpcStatus);
      },
    );
  };
}
