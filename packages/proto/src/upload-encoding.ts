/**
 * The upload request (SubmitScalarGradientsRequest) encoded straight into one Buffer, byte for byte what ts-proto's
 * generated `encode` writes, and the aggregator client that sends uploads with it. ts-proto forks a sub-writer for
 * each of the up to tau (200) ScalarGradient messages; a device or a load generator sending many uploads spends
 * most of a call's CPU there. The other fields (not hot) are still written by the generated code.
 */
import { makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';

import {
  type AggregatorServiceClient,
  AggregatorServiceService,
  SubmitScalarGradientsRequest,
} from './generated/fedkseed/v1/aggregator_service';

const varintBytes = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function writeVarint(buf: Buffer, at: number, n: number): number {
  let v = n >>> 0;
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** The protobuf bytes of `message`, identical to `SubmitScalarGradientsRequest.encode(message).finish()`. */
export function encodeUploadRequest(message: SubmitScalarGradientsRequest): Buffer {
  const tail = SubmitScalarGradientsRequest.encode({
    ...message,
    round: 0,
    modelVersion: 0,
    scalarGradients: [],
  }).finish();
  const pairs = message.scalarGradients;
  const inner = new Uint8Array(pairs.length);
  let size = tail.length;
  if (message.round !== 0) size += 1 + varintBytes(message.round >>> 0);
  if (message.modelVersion !== 0) size += 1 + varintBytes(message.modelVersion >>> 0);
  for (let j = 0; j < pairs.length; j++) {
    const { seedIndex, scalarGrad } = pairs[j];
    const n = (seedIndex !== 0 ? 1 + varintBytes(seedIndex >>> 0) : 0) + (scalarGrad !== 0 ? 5 : 0);
    inner[j] = n;
    size += 2 + n; // tag 26, a one-byte length (n <= 11), the message
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (message.round !== 0) {
    buf[at++] = 8;
    at = writeVarint(buf, at, message.round);
  }
  if (message.modelVersion !== 0) {
    buf[at++] = 16;
    at = writeVarint(buf, at, message.modelVersion);
  }
  for (let j = 0; j < pairs.length; j++) {
    const { seedIndex, scalarGrad } = pairs[j];
    buf[at++] = 26;
    buf[at++] = inner[j];
    if (seedIndex !== 0) {
      buf[at++] = 8;
      at = writeVarint(buf, at, seedIndex);
    }
    if (scalarGrad !== 0) {
      buf[at++] = 21;
      at = buf.writeFloatLE(scalarGrad, at);
    }
  }
  buf.set(tail, at);
  return buf;
}

/** The generated AggregatorServiceClient, sending uploads through `encodeUploadRequest`. */
export const FastUploadAggregatorServiceClient = makeGenericClientConstructor(
  {
    ...AggregatorServiceService,
    submitScalarGradients: {
      ...AggregatorServiceService.submitScalarGradients,
      requestSerialize: (value: SubmitScalarGradientsRequest) => encodeUploadRequest(value),
    },
  },
  'fedkseed.v1.AggregatorService',
) as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => AggregatorServiceClient;
