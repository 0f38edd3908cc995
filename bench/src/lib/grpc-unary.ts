/** A unary call of a ts-proto gRPC client as a promise. */
import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';

export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (err: ServiceError | null, response?: Res) => void,
) => ClientUnaryCall;

/** `unary(client.getTask.bind(client), request, metadata)`. */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, metadata: Metadata): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, metadata, {}, (err, response) => (err ? reject(err) : resolve(response!))),
  );
}
