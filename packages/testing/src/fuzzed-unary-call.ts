/**
 * One fuzzed unary call: half the time mutated bytes of a valid request sent as they are (so that malformed
 * protobuf reaches the server's deserializer), otherwise a well-formed request with random and extreme field
 * values through the generated client. Either way the outcome comes back with a way to write the input out.
 */
import type { Client, Metadata, ServiceError } from '@grpc/grpc-js';

import type { FuzzCall } from './fuzz-batches';
import { messageText, metadataText } from './fuzz-input-text';
import type { FuzzRandom } from './fuzz-random';
import { mutateProtobuf } from './protobuf-mutator';
import { FUZZ_CALL_TIMEOUT_MS, rawUnaryCall, stubCallOutcome } from './raw-unary-call';

/** One RPC as a fuzz test drives it. */
export interface FuzzedRpc<Req> {
  /** The method's full path, e.g. `AggregatorServiceService.getTask.path`. */
  path: string;
  /** The generated client's method, e.g. `(r, md, o, cb) => client.getTask(r, md, o, cb)`. */
  stub(
    request: Req,
    metadata: Metadata,
    options: { deadline: number },
    callback: (error: ServiceError | null) => void,
  ): unknown;
  /** Encoded valid requests that mutations start from (none: every call is a structured one). */
  templates: readonly Buffer[];
  /** Field numbers of the request and of the messages nested in it, where inserted fields land most often. */
  fieldNumbers: readonly number[];
  /** A well-formed request with random and extreme field values. */
  structured(random: FuzzRandom): Req;
}

/** Calls `rpc` with an input drawn from `random`, over `raw` for bytes (any Client of the server will do). */
export function fuzzedUnaryCall<Req>(
  raw: Client,
  rpc: FuzzedRpc<Req>,
  random: FuzzRandom,
  metadata: Metadata,
): Promise<FuzzCall> {
  if (rpc.templates.length > 0 && random.chance(0.5)) {
    const bytes = mutateProtobuf(random.pick(rpc.templates), random, { fieldNumbers: rpc.fieldNumbers });
    return rawUnaryCall(raw, rpc.path, bytes, metadata).then((outcome) => ({
      outcome,
      describeInput: () => `bytes ${bytes.toString('hex')} metadata ${metadataText(metadata)}`,
    }));
  }
  const request = rpc.structured(random);
  const options = { deadline: Date.now() + FUZZ_CALL_TIMEOUT_MS };
  return stubCallOutcome((callback) => rpc.stub(request, metadata, options, callback)).then((outcome) => ({
    outcome,
    describeInput: () => `message ${messageText(request)} metadata ${metadataText(metadata)}`,
  }));
}
