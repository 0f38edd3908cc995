/**
 * The aggregator's per-caller rate limits, as a gRPC server interceptor: a refused call never reaches its handler,
 * so it costs no store access. Limits are per caller, never global, so that many clients together are not slowed:
 *
 *   - RegisterClient: per caller address (the peer's IP, whatever its port): a guard on registration floods and on
 *     guessing the join secret. Behind a proxy that does not keep client addresses every caller shares one bucket.
 *   - every other call: per principal its bearer token names (a client id, or "operator"). A token is checked
 *     here (an HMAC, no store access) so that a forged one cannot spend a genuine client's bucket; a call without
 *     a valid token passes on and its handler refuses it UNAUTHENTICATED.
 *
 * A refusal is RESOURCE_EXHAUSTED/RESOURCE_EXHAUSTED with `retry_after_ms`, the time until the caller's bucket has
 * a token again; the SDK waits that long before it retries (retry-policy.ts of @fedkseed/sdk).
 */
import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { ServerInterceptingCall } from '@grpc/grpc-js';
import { ErrorReason, SERVICE_NAMES, errorReasonToJSON } from '@fedkseed/proto';
import type { Logger } from '@fedkseed/process-kit';
import { ApiError, isApiError, toGrpcStatus } from '@fedkseed/service-kit';

import type { ClientAuth } from './auth';
import { TokenBuckets, type TokenBucketSettings } from './rate-limit';

/** Rates per caller; a rate of 0 turns that limit off. */
export interface CallLimitSettings {
  /** Calls per second one client (or the operator) may sustain on GetTask, SubmitScalarGradients, GetRunState. */
  clientRatePerS: number;
  /** Calls one client may make at once after being idle. */
  clientBurst: number;
  /** RegisterClient calls per second one address may sustain. */
  registrationRatePerS: number;
  /** RegisterClient calls one address may make at once. */
  registrationBurst: number;
}

const REGISTER_CLIENT = `/${SERVICE_NAMES.aggregator}/RegisterClient`;
const SERVICE_PREFIX = `/${SERVICE_NAMES.aggregator}/`;

/** The address of a grpc-js peer string without its port: "ipv4:10.0.0.7:51234" -> "10.0.0.7". */
export function peerAddress(peer: string): string {
  const address = peer.replace(/^(ipv4|ipv6):/, '');
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  return /^[^:]+:\d+$/.test(address) ? address.slice(0, address.lastIndexOf(':')) : address;
}

function buckets(ratePerS: number, burst: number, clock?: () => number): TokenBuckets | undefined {
  if (ratePerS === 0) return undefined;
  const settings: TokenBucketSettings = { ratePerS, burst };
  return new TokenBuckets(settings, clock);
}

export interface CallLimitOptions {
  auth: ClientAuth;
  settings: CallLimitSettings;
  /** Refusals are logged at debug. */
  logger: Logger;
  /** Monotonic ms. @default performance.now */
  clock?: () => number;
}

/** The interceptor for the aggregator's server; undefined when both limits are off. */
export function callLimitInterceptor(options: CallLimitOptions): ServerInterceptor | undefined {
  const { auth, settings, logger, clock } = options;
  const clients = buckets(settings.clientRatePerS, settings.clientBurst, clock);
  const registrations = buckets(settings.registrationRatePerS, settings.registrationBurst, clock);
  if (!clients && !registrations) return undefined;

  /** The wait before `path` may run for this caller (0: admitted now), and whom it was for (for the log). */
  const wait = (path: string, metadata: Metadata, peer: string): { retryAfterMs: number; clientId?: string } => {
    if (path === REGISTER_CLIENT) return { retryAfterMs: registrations?.take(peerAddress(peer)) ?? 0 };
    if (!clients) return { retryAfterMs: 0 };
    let principal;
    try {
      principal = auth.authenticate(metadata);
    } catch (e) {
      if (isApiError(e)) return { retryAfterMs: 0 }; // the handler refuses it
      throw e;
    }
    const key = principal.kind === 'client' ? principal.clientId : 'operator';
    return { retryAfterMs: clients.take(key), ...(principal.kind === 'client' ? { clientId: key } : {}) };
  };

  return (descriptor, call) => {
    if (!descriptor.path.startsWith(SERVICE_PREFIX)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const { retryAfterMs, clientId } = wait(descriptor.path, metadata, call.getPeer());
            if (retryAfterMs === 0) {
              nextMetadata(metadata);
              return;
            }
            // Not passing the metadata on keeps the request from the handler; the call ends with this status.
            const refusal = new ApiError(
              ErrorReason.ERROR_REASON_RESOURCE_EXHAUSTED,
              `rate limit reached; retry in ${retryAfterMs} ms`,
              { retry_after_ms: retryAfterMs },
            );
            logger.debug('call refused', {
              method: descriptor.path,
              code: 'RESOURCE_EXHAUSTED',
              reason: errorReasonToJSON(refusal.reason),
              clientId,
              retryAfterMs,
            });
            call.sendStatus(toGrpcStatus(refusal));
          },
        }),
    });
  };
}
