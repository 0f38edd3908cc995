/**
 * A request whose bytes do not decode (malformed protobuf) is the caller's error, so it is refused with
 * INVALID_ARGUMENT/MALFORMED_REQUEST like any other refusal. grpc-js itself answers a throwing deserializer with
 * INTERNAL, without an ErrorDetail and past the server's interceptors, which makes garbage from any client look
 * like a bug of the server and leaves it out of the per-RPC metrics. So every method's deserializer is wrapped to
 * return an `UndecodableRequest` instead of throwing, and an interceptor (innermost, next to the handlers) answers
 * it before any handler sees a request.
 */
import { ServerInterceptingCall, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';
import { ErrorReason } from '@fedkseed/proto';

import { ApiError, toGrpcStatus } from './service-error';

/** What a wrapped deserializer returns for bytes that its message type does not decode. */
class UndecodableRequest {
  constructor(readonly cause: unknown) {}
}

/** `definition` with each method's request deserializer returning an UndecodableRequest instead of throwing. */
export function tolerantRequestDecoding(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([key, method]) => [
      key,
      {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return method.requestDeserialize(bytes);
          } catch (e) {
            return new UndecodableRequest(e);
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}

/**
 * Answers an UndecodableRequest with INVALID_ARGUMENT/MALFORMED_REQUEST and passes everything else on. Last in
 * the server's interceptors, so that the others (metrics) see the request arrive and the status leave.
 */
export function malformedRequestInterceptor(): ServerInterceptor {
  return (_descriptor, call) => {
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            // Not passed on: the handler never starts, and the half-close after it stays with this call.
            if (message instanceof UndecodableRequest) intercepted.sendStatus(malformedStatus(message));
            else nextMessage(message);
          },
        }),
    });
    return intercepted;
  };
}

function malformedStatus(request: UndecodableRequest) {
  const why = request.cause instanceof Error ? request.cause.message : String(request.cause);
  return toGrpcStatus(
    new ApiError(ErrorReason.ERROR_REASON_MALFORMED_REQUEST, `the request message does not decode: ${why}`),
  );
}
