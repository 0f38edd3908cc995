/**
 * Unary calls that send the request's bytes as they are (identity serializer), so that bytes no encoder would
 * produce reach the server's own deserializer, and that read the response's bytes the same way. Also the
 * outcome of a call made through a generated client.
 */
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';

import { type CallOutcome, outcomeOf, outcomeOfStatus } from './call-outcome';

const identity = (bytes: Buffer) => bytes;

/** How long one fuzzed call may take before it counts as hanging (ms). */
export const FUZZ_CALL_TIMEOUT_MS = 10_000;

/**
 * Calls `path` (e.g. "/fedkseed.v1.AggregatorService/GetTask") with `request` as the message's bytes. Never
 * rejects: whatever happens is the outcome.
 */
export function rawUnaryCall(
  client: Client,
  path: string,
  request: Buffer,
  metadata: Metadata = new Metadata(),
  timeoutMs = FUZZ_CALL_TIMEOUT_MS,
): Promise<CallOutcome> {
  return new Promise((resolve) => {
    try {
      client.makeUnaryRequest(
        path,
        identity,
        identity,
        request,
        metadata,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null) => resolve(outcomeOf(error)),
      );
    } catch (e) {
      resolve(outcomeOfStatus(status.UNKNOWN, `the call did not start: ${(e as Error).message}`, undefined));
    }
  });
}

/**
 * The outcome of a call through a generated client: `start` makes the call with the callback given. Never
 * rejects; a client that throws before sending counts as UNKNOWN.
 */
export function stubCallOutcome(start: (callback: (error: ServiceError | null) => void) => void): Promise<CallOutcome> {
  return new Promise((resolve) => {
    try {
      start((error) => resolve(outcomeOf(error)));
    } catch (e) {
      resolve(outcomeOfStatus(status.UNKNOWN, `the call did not start: ${(e as Error).message}`, undefined));
    }
  });
}
