/**
 * The load generator's lean transports for the submission rate: grpc-js channels sending requests serialized
 * beforehand, and bare node:http2 streams carrying gRPC's framing (what grpc-js sends, without its client
 * machinery).
 */
import http2 from 'node:http2';

import { credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { AggregatorServiceClient, AggregatorServiceService, SubmitScalarGradientsResponse } from '@fedkseed/proto';

/** `count` channels, each on a connection of its own (else grpc-js shares one among equal targets). */
export const makeChannels = (address: string, count: number): AggregatorServiceClient[] =>
  Array.from(
    { length: count },
    () => new AggregatorServiceClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );

/** SubmitScalarGradients with a request serialized beforehand. */
export function submitEncoded(
  client: AggregatorServiceClient,
  bytes: Buffer,
  md: Metadata,
): Promise<SubmitScalarGradientsResponse> {
  const { path, responseDeserialize } = AggregatorServiceService.submitScalarGradients;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      responseDeserialize,
      bytes,
      md,
      (e: ServiceError | null, r?: SubmitScalarGradientsResponse) => (e ? reject(e) : resolve(r!)),
    ),
  );
}

/** A unary request in gRPC's message framing: 1 byte "not compressed", 4 bytes big-endian length, the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details || `grpc-status ${code}`);
  }
}

/** SubmitScalarGradients as a bare HTTP/2 stream: the framed request, then the response and grpc-status. */
export function submitHttp2(
  session: http2.ClientHttp2Session,
  framed: Buffer,
  authorization: string,
): Promise<SubmitScalarGradientsResponse> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': AggregatorServiceService.submitScalarGradients.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization,
    });
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let message = '';
    const readStatus = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) {
        status = Number(h['grpc-status']);
        message = decodeURIComponent(String(h['grpc-message'] ?? ''));
      }
    };
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () => {
      if (status !== 0) return reject(new GrpcStatusError(status ?? -1, message));
      const body = Buffer.concat(chunks);
      resolve(SubmitScalarGradientsResponse.decode(body.subarray(5, 5 + body.readUInt32BE(1))));
    });
    stream.end(framed);
  });
}

/** Opens `count` HTTP/2 sessions to `address`. */
export async function openSessions(address: string, count: number): Promise<http2.ClientHttp2Session[]> {
  const sessions = Array.from({ length: count }, () => http2.connect(`http://${address}`));
  await Promise.all(sessions.map((s) => new Promise((ok, fail) => s.once('connect', ok).once('error', fail))));
  return sessions;
}
