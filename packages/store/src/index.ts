/**
 * @fedkseed/store: the round-state store of a FedKSeed run (Qin et al., ICML 2024, arXiv 2312.06353): run
 * config, client registry, rounds and their uploads, the accumulated scalar vector A with its version and
 * per-round deltas, and FedKSeed-Pro seed statistics. `InMemoryRoundStore` serves the embedded
 * single-process mode; `RedisRoundStore` serves replicated aggregators, one Lua script per atomic
 * transition. Both pass one conformance suite and dump the same state to the same text.
 *
 * @example
 * ```ts
 * import { aggregateRound } from '@fedkseed/zo';
 * import { RedisRoundStore, isStoreError } from '@fedkseed/store';
 *
 * const store = new RedisRoundStore({ runId: 'llama-dolly-1' }); // REDIS_URL or redis://127.0.0.1:6379
 * await store.initRun({ runId: 'llama-dolly-1', runSeed: 42n, numCandidateSeeds: 4096, numLocalSteps: 200 });
 * await store.registerClient({ clientId: 'c1', numExamples: 120 });
 * const { version } = await store.getAccumulated();
 * await store.openRound({ round: version, participants: ['c1'], deadlineMs: Date.now() + 60_000, samplingSeed: 7n });
 * await store.acceptUpload({ round: version, clientId: 'c1', pairs, numLocalSteps: 200, meanLoss: 1.9 });
 *
 * // Any replica may close; exactly one commit wins.
 * await store.beginClose(version, 'replica-a', 30_000);
 * const uploads = await store.readUploads(version); // sorted by clientId, { pairs, weight } each
 * const { accumulated } = await store.getAccumulated();
 * const agg = aggregateRound(accumulated, uploads);
 * await store.commitClose({
 *   round: version, closerId: 'replica-a', accumulated: agg.accumulated,
 *   delta: { seedIndices: agg.deltaSeedIndices, values: agg.deltaValues },
 * }).catch((e) => { if (!isStoreError(e, 'ALREADY_CLOSED')) throw e; });
 * ```
 */
export type {
  AcceptUploadResult,
  AccumulatedDelta,
  AccumulatedSnapshot,
  ClientRecord,
  ClientRegistration,
  CloseLease,
  CommitCloseInput,
  CommitCloseResult,
  DeltasSince,
  InitRunResult,
  OpenRoundInput,
  RecordScalarsResult,
  RegisterClientResult,
  RegistrationAdmission,
  RoundDelta,
  RoundInfo,
  RoundStatus,
  RoundStatusInfo,
  RoundStore,
  SeedStats,
  StoredFingerprint,
  StoredSeedDistribution,
  StoredUpload,
  UploadInput,
} from './round-store';
export { clientWeight, type StoredRunConfig } from './run-config';
export {
  AlreadyClosedError,
  ClientConflictError,
  ConcurrentUpdateError,
  DuplicateSubmissionError,
  InvalidArgumentError,
  LeaseHeldError,
  LeaseLostError,
  NotSelectedError,
  RegistrationLimitError,
  RoundAlreadyOpenError,
  RoundClosedError,
  RoundNotClosingError,
  RoundNotOpenError,
  RunConfigMismatchError,
  RunNotInitializedError,
  StaleVersionError,
  StoreError,
  UnknownClientError,
  isStoreError,
  storeError,
  type StoreErrorDetails,
  type StoreErrorReason,
} from './errors';
export { PRUNE_LAG, SEED_DISTRIBUTIONS_KEPT } from './round-store';
export { fingerprintProblem } from './validate';
export { PAIR_BYTES, UPLOAD_HEADER_BYTES, decodeUpload, encodeUpload, type UploadPayload } from './codec';
export { InMemoryRoundStore, type InMemoryRoundStoreOptions } from './in-memory-round-store';
export { RedisRoundStore, type RedisRoundStoreOptions } from './redis/redis-round-store';
export { connectRedis, DEFAULT_STORE_COMMAND_TIMEOUT_MS, type RedisConnectionOptions } from './redis/redis-connection';
export { RunKeys } from './redis/keys';
export { deleteRunKeys, scanRunKeys } from './redis/delete-run-keys';
