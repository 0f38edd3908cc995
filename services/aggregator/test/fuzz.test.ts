/**
 * Fuzzing every AggregatorService RPC over real gRPC (issue 11). Per RPC, FEDKSEED_FUZZ_ITERATIONS calls
 * (default and minimum 2000; FEDKSEED_FUZZ_SEED draws other inputs): about half are mutated bytes of valid
 * requests sent as they are, so that malformed protobuf reaches the server's deserializer, the rest well-formed
 * messages with random and extreme field values through the generated client; most carry valid credentials,
 * some wrong ones. Every call must end OK or with a reason errors.proto sends with that code; a batch of calls
 * that were all refused must leave the store byte-identical (for GetTask and GetRunState every batch must);
 * afterwards the server still serves, has logged no failure of its own, and the heap has grown by less than
 * HEAP_GROWTH_LIMIT_BYTES.
 *
 * One round stays open throughout: PARTICIPANTS clients plus a holdout that never uploads (quorum: all of them),
 * so uploads meet the checks of a round that accepts them, while an outsider registered after the round opened
 * holds a valid token whose uploads are always refused. The first quarter of the calls to RegisterClient and
 * SubmitScalarGradients is refused by construction (wrong credentials, invalid fields, the outsider's uploads).
 */
import { Client, credentials, status, type Metadata } from '@grpc/grpc-js';
import {
  AggregatorServiceService,
  GetRunStateRequest,
  GetTaskRequest,
  RegisterClientRequest,
  SubmitScalarGradientsRequest,
  TaskStatus,
  bearerMetadata,
} from '@fedkseed/proto';
import { Logger } from '@fedkseed/process-kit';
import { InMemoryRoundStore, type RoundStore } from '@fedkseed/store';
import {
  FuzzRandom,
  bearerMetadataVariant,
  fuzzSettings,
  fuzzedUnaryCall,
  joinSecretMetadataVariant,
  runFuzzBatches,
  ProcessFaultWatch,
  wrongBearerMetadata,
  wrongJoinSecretMetadata,
  type FuzzCall,
  type FuzzedRpc,
} from '@fedkseed/testing';

import {
  AggregatorCaller,
  JOIN_SECRET,
  RedisFixture,
  SKIP_REDIS,
  rng,
  startApp,
  testEnv,
  waitFor,
  type StartedApp,
} from './harness';
import { SimClient } from './sim-client';

const { seed, iterations } = fuzzSettings();
/** Share of the calls to RegisterClient and SubmitScalarGradients that are refused by construction, sent first. */
const REFUSED_SHARE = 0.25;
/** Share of the other calls sent with wrong credentials. */
const WRONG_CREDENTIALS_SHARE = 0.15;
/** Clients selected for the open round besides the holdout; each can have one upload accepted. */
const PARTICIPANTS = 16;
/** Generous: the 8000 calls of a default run leave about 5 MiB; a leak of 8 KiB per call would exceed it. */
const HEAP_GROWTH_LIMIT_BYTES = 64 * 2 ** 20;
/** Wall time allowed per RPC (about 5 s at the default count on two cores), scaled for longer runs. */
const RPC_TIMEOUT_MS = 30_000 * (iterations / 2000);
/** Field numbers of the requests and of the messages nested in them (ScalarGradient, ModelFingerprint). */
const FIELD_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8];

describe('fuzzed requests to every AggregatorService RPC', () => {
  const redis = new RedisFixture();
  let started: StartedApp;
  let caller: AggregatorCaller;
  let raw: Client;
  let participants: SimClient[];
  let outsider: SimClient;
  let uploads: SubmitScalarGradientsRequest[];
  let ghostToken: string;
  let operatorToken: string;
  const faults = new ProcessFaultWatch();

  beforeAll(async () => {
    faults.start();
    const env = testEnv({
      CLIENT_FRACTION: '1',
      MIN_CLIENTS_PER_ROUND: String(PARTICIPANTS + 1),
      QUORUM_FRACTION: '1',
      ROUND_DEADLINE_MS: '3600000',
      NUM_ROUNDS: '1000',
    });
    let store: RoundStore;
    if (SKIP_REDIS) store = new InMemoryRoundStore();
    else {
      await redis.connect();
      store = redis.store(env.RUN_ID);
    }
    // Warnings and errors only: a refused call logs at debug, a failure of the server's own at error.
    const logger = new Logger({ service: 'aggregator', level: 'warn', write: faults.write });
    started = await startApp(env, store, { logger });
    caller = new AggregatorCaller(started.address);
    raw = new Client(started.address, credentials.createInsecure());
    participants = [];
    for (let i = 0; i <= PARTICIPANTS; i++) participants.push(await SimClient.join(caller, 10 + i));
    participants.pop(); // the holdout
    const tasks = await Promise.all(
      participants.slice(0, 2).map((c) =>
        waitFor(async () => {
          const t = await caller.getTask(c.token, 0);
          return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
        }, 'a TRAIN task'),
      ),
    );
    uploads = tasks.map((t, i) => participants[i].train(t, rng(i + 1)));
    outsider = await SimClient.join(caller, 99);
    expect((await caller.getTask(outsider.token, 0)).status).toBe(TaskStatus.TASK_STATUS_WAIT);
    ghostToken = started.app.auth.clientToken('c-ghost');
    operatorToken = started.app.auth.operatorToken();
    await started.app.lifecycle.idle();
    await faults.markHeap();
  });

  afterAll(async () => {
    faults.stop();
    raw?.close();
    caller?.close();
    await started?.app.drain();
    await redis.cleanup();
    await redis.close();
  });

  const snapshot = () => started.app.store.dump();
  const settle = () => started.app.lifecycle.idle();
  const mustBeRefused = (call: FuzzCall) =>
    call.outcome.code === status.OK ? 'succeeded, but every call of this phase must be refused' : undefined;
  const refusedCount = Math.round(iterations * REFUSED_SHARE);

  /** Credentials a client call must refuse: malformed or forged tokens, an unknown client's, the operator's. */
  function wrongClientCredentials(random: FuzzRandom, operatorAllowed: boolean): Metadata {
    if (random.chance(0.15)) return bearerMetadata(ghostToken);
    if (!operatorAllowed && random.chance(0.15)) return bearerMetadata(operatorToken);
    const valid = [...participants.map((c) => c.token), outsider.token, ghostToken, operatorToken];
    return wrongBearerMetadata(random, valid);
  }

  it(
    'RegisterClient',
    async () => {
      const encode = (r: Partial<RegisterClientRequest>) =>
        Buffer.from(RegisterClientRequest.encode(RegisterClientRequest.fromPartial(r)).finish());
      const rpc: FuzzedRpc<RegisterClientRequest> = {
        path: AggregatorServiceService.registerClient.path,
        stub: (r, md, o, cb) => caller.client.registerClient(r, md, o, cb),
        templates: [
          encode({ displayName: 'site-1', numExamples: 812, clientVersion: 'fedkseed-sdk/0.1.0 node/20' }),
          encode({ numExamples: 3, clientVersion: 'x', idempotencyKey: 'k-1', queueFed: true }),
          encode({ displayName: 'n'.repeat(64), numExamples: 1 }),
        ],
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => ({
          displayName: random.chance(0.5) ? random.text() : 'site',
          numExamples: random.chance(0.5) ? 1 + random.int(1000) : random.uint32(),
          clientVersion: random.chance(0.5) ? random.text() : 'fedkseed-sdk/0.1.0',
          idempotencyKey: random.chance(0.5) ? '' : random.chance(0.5) ? `k-${random.int(50)}` : random.text(),
          queueFed: random.chance(0.5),
        }),
      };
      // Registrations that one field makes invalid (data-size weighting needs num_examples >= 1).
      const invalid: FuzzedRpc<RegisterClientRequest> = {
        ...rpc,
        templates: [],
        structured: (random) => {
          const request = rpc.structured(random);
          const n = random.int(1000);
          return [
            { ...request, displayName: 'n'.repeat(65 + n) },
            { ...request, clientVersion: 'v'.repeat(129 + n) },
            { ...request, idempotencyKey: 'k'.repeat(129 + n) },
            { ...request, numExamples: 0 },
          ][random.int(4)];
        },
      };
      await runFuzzBatches({
        name: 'RegisterClient, refused',
        seed,
        count: refusedCount,
        snapshot,
        check: mustBeRefused,
        call: (i) => {
          const random = new FuzzRandom(seed, 0, i);
          if (random.chance(0.3))
            return fuzzedUnaryCall(raw, invalid, random, joinSecretMetadataVariant(random, JOIN_SECRET));
          return fuzzedUnaryCall(raw, rpc, random, wrongJoinSecretMetadata(random, JOIN_SECRET));
        },
      });
      const tally = await runFuzzBatches({
        name: 'RegisterClient',
        seed,
        first: refusedCount,
        count: iterations - refusedCount,
        snapshot,
        settle,
        call: (i) => {
          const random = new FuzzRandom(seed, 0, i);
          const metadata = random.chance(WRONG_CREDENTIALS_SHARE)
            ? wrongJoinSecretMetadata(random, JOIN_SECRET)
            : joinSecretMetadataVariant(random, JOIN_SECRET);
          return fuzzedUnaryCall(raw, rpc, random, metadata);
        },
      });
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining([
          'OK',
          'ERROR_REASON_BAD_JOIN_SECRET',
          'ERROR_REASON_INVALID_FIELD',
          'ERROR_REASON_MALFORMED_REQUEST',
        ]),
      );
    },
    RPC_TIMEOUT_MS,
  );

  it(
    'GetTask (read-only)',
    async () => {
      const rpc: FuzzedRpc<GetTaskRequest> = {
        path: AggregatorServiceService.getTask.path,
        stub: (r, md, o, cb) => caller.client.getTask(r, md, o, cb),
        templates: [0, 1, 300, 0xffffffff].map((v) => Buffer.from(GetTaskRequest.encode({ modelVersion: v }).finish())),
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => ({ modelVersion: random.chance(0.5) ? random.int(3) : random.uint32() }),
      };
      const tally = await runFuzzBatches({
        name: 'GetTask',
        seed,
        count: iterations,
        snapshot,
        readOnly: true,
        call: (i) => {
          const random = new FuzzRandom(seed, 1, i);
          const metadata = random.chance(WRONG_CREDENTIALS_SHARE)
            ? wrongClientCredentials(random, false)
            : bearerMetadataVariant(random, random.pick([...participants, outsider]).token);
          return fuzzedUnaryCall(raw, rpc, random, metadata);
        },
      });
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining([
          'OK',
          'ERROR_REASON_BAD_TOKEN',
          'ERROR_REASON_UNKNOWN_CLIENT',
          'ERROR_REASON_STALE_VERSION',
          'ERROR_REASON_MALFORMED_REQUEST',
        ]),
      );
    },
    RPC_TIMEOUT_MS,
  );

  it(
    'SubmitScalarGradients',
    async () => {
      const fingerprint = { version: 0, scheme: 'philox-proj-v1', projections: [1.5, -2.25] };
      const rpc: FuzzedRpc<SubmitScalarGradientsRequest> = {
        path: AggregatorServiceService.submitScalarGradients.path,
        stub: (r, md, o, cb) => caller.client.submitScalarGradients(r, md, o, cb),
        templates: [
          ...uploads,
          { ...uploads[0], baseModelFingerprint: fingerprint },
          { ...uploads[1], scalarGradients: [], localStepsRun: uploads[1].skippedSteps },
        ].map((u) => Buffer.from(SubmitScalarGradientsRequest.encode(u).finish())),
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => {
          const count = random.chance(0.8) ? random.int(10) : random.pick([200, 5000]);
          const skippedSteps = random.chance(0.7) ? random.int(3) : random.uint32();
          return {
            round: random.chance(0.7) ? 1 : random.uint32(),
            modelVersion: random.chance(0.7) ? 0 : random.uint32(),
            scalarGradients: random.list(count, () => ({
              seedIndex: random.chance(0.9) ? random.int(64) : random.uint32(),
              scalarGrad: random.chance(0.8) ? Math.fround(random.uniform() - 0.5) : random.float(),
            })),
            localStepsRun: random.chance(0.7) ? (count + skippedSteps) >>> 0 : random.uint32(),
            skippedSteps,
            meanLocalLoss: random.chance(0.8) ? 2.5 : random.float(),
            trainDurationMs: random.uint32(),
            baseModelFingerprint: random.chance(0.7)
              ? undefined
              : {
                  version: random.chance(0.7) ? 0 : random.uint32(),
                  scheme: random.chance(0.7) ? 'philox-proj-v1' : random.text(),
                  projections: Array.from({ length: random.int(20) }, () => random.double()),
                },
          };
        },
      };
      const refused = await runFuzzBatches({
        name: 'SubmitScalarGradients, refused',
        seed,
        count: refusedCount,
        snapshot,
        check: mustBeRefused,
        call: (i) => {
          const random = new FuzzRandom(seed, 2, i);
          const metadata = random.chance(0.6)
            ? bearerMetadataVariant(random, outsider.token)
            : wrongClientCredentials(random, false);
          return fuzzedUnaryCall(raw, rpc, random, metadata);
        },
      });
      const tally = await runFuzzBatches({
        name: 'SubmitScalarGradients',
        seed,
        first: refusedCount,
        count: iterations - refusedCount,
        snapshot,
        settle,
        call: (i) => {
          const random = new FuzzRandom(seed, 2, i);
          const metadata = random.chance(WRONG_CREDENTIALS_SHARE)
            ? wrongClientCredentials(random, false)
            : bearerMetadataVariant(random, random.pick(participants).token);
          return fuzzedUnaryCall(raw, rpc, random, metadata);
        },
      });
      expect(Object.keys(refused.outcomes)).toEqual(
        expect.arrayContaining(['ERROR_REASON_NOT_SELECTED', 'ERROR_REASON_ROUND_NOT_OPEN', 'ERROR_REASON_BAD_TOKEN']),
      );
      // Uploads met the open round's checks: some were accepted, others refused for their own problems.
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining([
          'OK',
          'ERROR_REASON_DUPLICATE_SUBMISSION',
          'ERROR_REASON_SEED_INDEX_OUT_OF_RANGE',
          'ERROR_REASON_INVALID_FIELD',
          'ERROR_REASON_STALE_VERSION',
          'ERROR_REASON_MALFORMED_REQUEST',
        ]),
      );
      // The holdout never uploaded: round 1 (store round 0) is still open, with at most one upload per participant.
      const info = await started.app.store.getRoundStatus(0);
      expect(info?.status).toBe('collecting');
      expect(info!.numUploads).toBeLessThanOrEqual(PARTICIPANTS);
    },
    RPC_TIMEOUT_MS,
  );

  it(
    'GetRunState (read-only)',
    async () => {
      const rpc: FuzzedRpc<GetRunStateRequest> = {
        path: AggregatorServiceService.getRunState.path,
        stub: (r, md, o, cb) => caller.client.getRunState(r, md, o, cb),
        templates: [true, false].map((omitAccumulated) =>
          Buffer.from(GetRunStateRequest.encode({ omitAccumulated }).finish()),
        ),
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => ({ omitAccumulated: random.chance(0.5) }),
      };
      const tally = await runFuzzBatches({
        name: 'GetRunState',
        seed,
        count: iterations,
        snapshot,
        readOnly: true,
        call: (i) => {
          const random = new FuzzRandom(seed, 3, i);
          const metadata = random.chance(WRONG_CREDENTIALS_SHARE)
            ? wrongClientCredentials(random, true)
            : bearerMetadataVariant(random, random.pick([participants[0].token, outsider.token, operatorToken]));
          return fuzzedUnaryCall(raw, rpc, random, metadata);
        },
      });
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining([
          'OK',
          'ERROR_REASON_BAD_TOKEN',
          'ERROR_REASON_UNKNOWN_CLIENT',
          'ERROR_REASON_MALFORMED_REQUEST',
        ]),
      );
    },
    RPC_TIMEOUT_MS,
  );

  it('still serves afterwards, has logged no failure of its own, and its heap stayed bounded', async () => {
    const fresh = await SimClient.join(caller, 5);
    expect((await caller.getTask(fresh.token, 0)).status).toBe(TaskStatus.TASK_STATUS_WAIT);
    expect(faults.crashes).toEqual([]);
    expect(faults.problemLogs).toEqual([]);
    expect(await faults.heapGrowthBytes()).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
  });
});
