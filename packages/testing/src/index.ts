/**
 * @fedkseed/testing: what the project's tests share (private; not published). Tiny random LLaMA checkpoints with
 * a real tokenizer, written to a folder for a test; checks of a Prometheus exposition; a throwaway PKI made with
 * openssl (CA, server and client certificates), a dedicated redis-server (password, TLS) on a free port, and a
 * child process whose every output line is kept; and a seeded fuzzer of gRPC calls: mutated protobuf bytes sent as
 * they are, extreme field values, wrong credentials, every outcome checked against errors.proto and the store
 * compared around the calls that were refused.
 *
 * @example
 * ```ts
 * import { FuzzRandom, fuzzSettings, fuzzedUnaryCall, runFuzzBatches, type FuzzedRpc } from '@fedkseed/testing';
 *
 * const { seed, iterations } = fuzzSettings(); // FEDKSEED_FUZZ_SEED, FEDKSEED_FUZZ_ITERATIONS
 * const rpc: FuzzedRpc<GetTaskRequest> = {
 *   path: AggregatorServiceService.getTask.path,
 *   stub: (r, md, o, cb) => client.getTask(r, md, o, cb),
 *   templates: [Buffer.from(GetTaskRequest.encode({ modelVersion: 1 }).finish())],
 *   fieldNumbers: [1],
 *   structured: (random) => ({ modelVersion: random.uint32() }),
 * };
 * // Throws, naming the seed and iterations, on an undocumented outcome or a change of the store.
 * const tally = await runFuzzBatches({
 *   name: 'GetTask', seed, count: iterations, readOnly: true, snapshot: () => store.dump(),
 *   call: (i) => fuzzedUnaryCall(rawClient, rpc, new FuzzRandom(seed, 0, i), bearerMetadata(token)),
 * });
 * ```
 */
export {
  TEST_TOKENIZER_DIR,
  TEST_TOKENIZER_IDS,
  tinyLlamaConfig,
  writeTinyModel,
  type TinyModelOptions,
} from './tiny-model';
export { metricSample, processExposition, promtoolProblems } from './prometheus';
export { makeTestCertificates, type TestCertificates } from './test-certificates';
export { freePort, startTestRedisServer, type TestRedisServer, type TestRedisServerOptions } from './test-redis-server';
export { LoggedProcess, type LoggedLine } from './logged-process';
export { FuzzRandom } from './fuzz-random';
export { DEFAULT_FUZZ_ITERATIONS, DEFAULT_FUZZ_SEED, fuzzSettings, type FuzzSettings } from './fuzz-settings';
export {
  WireType,
  encodeVarint,
  encodeWireField,
  encodeWireFields,
  parseWireFields,
  readVarint,
  type WireField,
} from './protobuf-wire';
export { mutateBytes, mutateProtobuf, type MutateOptions } from './protobuf-mutator';
export { outcomeLabel, outcomeOf, outcomeOfStatus, undocumentedOutcome, type CallOutcome } from './call-outcome';
export { FUZZ_CALL_TIMEOUT_MS, rawUnaryCall, stubCallOutcome } from './raw-unary-call';
export {
  bearerMetadataVariant,
  joinSecretMetadataVariant,
  wrongBearerMetadata,
  wrongJoinSecretMetadata,
} from './fuzzed-credentials';
export { messageText, metadataText } from './fuzz-input-text';
export { runFuzzBatches, type FuzzBatchesOptions, type FuzzCall, type FuzzTally } from './fuzz-batches';
export { fuzzedUnaryCall, type FuzzedRpc } from './fuzzed-unary-call';
export { settledHeapUsedBytes } from './settled-heap';
export { ProcessFaultWatch } from './process-faults';
