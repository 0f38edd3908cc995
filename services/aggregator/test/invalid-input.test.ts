/**
 * Every refused request over real gRPC gets its status code and ErrorDetail reason, and leaves the store
 * byte-identical (store.dump() before and after), on a real Redis and on the in-memory store. Bytes that do not
 * decode as the request are among them (found by fuzz.test.ts: grpc-js alone answered those INTERNAL).
 */
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import {
  AggregatorServiceService,
  bearerMetadata,
  joinSecretMetadata,
  RoundStatus,
  RunStatus,
  TaskStatus,
  type GetTaskResponse,
  type SubmitScalarGradientsRequest,
} from '@fedkseed/proto';
import { InMemoryRoundStore, type RoundStore } from '@fedkseed/store';
import { rawUnaryCall } from '@fedkseed/testing';
import { aggregateRound } from '@fedkseed/zo';

import { ClientAuth } from '../src/auth';
import {
  AggregatorCaller,
  JOIN_SECRET,
  SKIP_REDIS,
  TOKEN_SECRET,
  bits,
  failure,
  rng,
  startApp,
  testEnv,
  waitFor,
  useAppFixture,
} from './harness';
import { SimClient } from './sim-client';

const kinds = SKIP_REDIS ? ['in-memory'] : ['redis', 'in-memory'];

describe.each(kinds)('refused requests change nothing (%s store)', (kind) => {
  const { redis, started, callers } = useAppFixture(kind as 'redis' | 'in-memory');

  async function start(env: Record<string, string>) {
    const store: RoundStore = kind === 'redis' ? redis.store(env.RUN_ID) : new InMemoryRoundStore();
    const s = await startApp(env, store);
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  async function trainTask(caller: AggregatorCaller, client: SimClient): Promise<GetTaskResponse> {
    return waitFor(async () => {
      const t = await caller.getTask(client.token, client.modelVersion);
      return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
    }, 'a TRAIN task');
  }

  it('refuses bad credentials and bad uploads with their reasons, writing nothing', async () => {
    // 4 clients; round 1 opens with the first two (MIN_CLIENTS_PER_ROUND = 2, both selected), quorum 1 of 2.
    const env = testEnv({ QUORUM_FRACTION: '0.5', CLIENT_FRACTION: '0.5', MIN_CLIENTS_PER_ROUND: '2' });
    const { app, caller } = await start(env);
    const a = await SimClient.join(caller, 10);
    const b = await SimClient.join(caller, 20);
    const task = await trainTask(caller, a);
    const c = await SimClient.join(caller, 30);
    expect((await caller.getTask(c.token, 0)).status).toBe(TaskStatus.TASK_STATUS_WAIT);
    await app.lifecycle.idle();

    const valid: SubmitScalarGradientsRequest = a.train(task, rng(3));
    const pairs = valid.scalarGradients;
    expect(pairs.length).toBeGreaterThan(1);
    const withPairs = (p: typeof pairs, extra: Partial<SubmitScalarGradientsRequest> = {}) => ({
      ...valid,
      scalarGradients: p,
      localStepsRun: p.length + valid.skippedSteps,
      ...extra,
    });

    async function refused(
      call: () => Promise<unknown>,
      code: status,
      reason: string,
      metadata?: Record<string, string>,
    ): Promise<void> {
      const before = await app.store.dump();
      const f = await failure(call());
      expect({ code: status[f.code], reason: f.reason }).toEqual({ code: status[code], reason });
      if (metadata) expect(f.metadata).toEqual(metadata);
      expect(await app.store.dump()).toBe(before);
    }

    const otherSecret = new ClientAuth({ runId: env.RUN_ID, tokenSecret: 'x'.repeat(40), joinSecret: JOIN_SECRET });
    const otherRun = new ClientAuth({ runId: 'another-run', tokenSecret: TOKEN_SECRET, joinSecret: JOIN_SECRET });
    const noToken = () =>
      new Promise((resolve, reject) =>
        caller.client.submitScalarGradients(valid, new Metadata(), (e, r) => (e ? reject(e) : resolve(r))),
      );

    // Credentials.
    await refused(() => caller.submit('garbage', valid), status.UNAUTHENTICATED, 'ERROR_REASON_BAD_TOKEN');
    await refused(noToken, status.UNAUTHENTICATED, 'ERROR_REASON_BAD_TOKEN');
    await refused(() => caller.submit(`${a.token}x`, valid), status.UNAUTHENTICATED, 'ERROR_REASON_BAD_TOKEN');
    await refused(
      () => caller.submit(otherSecret.clientToken(a.clientId), valid),
      status.UNAUTHENTICATED,
      'ERROR_REASON_BAD_TOKEN',
    );
    await refused(
      () => caller.submit(otherRun.clientToken(a.clientId), valid),
      status.UNAUTHENTICATED,
      'ERROR_REASON_BAD_TOKEN',
    );
    await refused(
      () => caller.submit(app.auth.operatorToken(), valid),
      status.UNAUTHENTICATED,
      'ERROR_REASON_BAD_TOKEN',
    );
    await refused(() => caller.getTask('garbage', 0), status.UNAUTHENTICATED, 'ERROR_REASON_BAD_TOKEN');
    await refused(() => caller.runState('garbage'), status.UNAUTHENTICATED, 'ERROR_REASON_BAD_TOKEN');
    await refused(
      () => caller.register({ numExamples: 3 }, 'wrong-join-secret'),
      status.UNAUTHENTICATED,
      'ERROR_REASON_BAD_JOIN_SECRET',
    );
    await refused(
      () => caller.register({ numExamples: 3 }, ''),
      status.UNAUTHENTICATED,
      'ERROR_REASON_BAD_JOIN_SECRET',
    );
    const ghost = app.auth.clientToken('c-ghost');
    await refused(() => caller.submit(ghost, valid), status.NOT_FOUND, 'ERROR_REASON_UNKNOWN_CLIENT', {
      client_id: 'c-ghost',
    });
    await refused(() => caller.getTask(ghost, 0), status.NOT_FOUND, 'ERROR_REASON_UNKNOWN_CLIENT');
    // An unknown client ranks before a round that is not open (the upload itself would be accepted).
    await refused(() => caller.submit(ghost, { ...valid, round: 2 }), status.NOT_FOUND, 'ERROR_REASON_UNKNOWN_CLIENT', {
      client_id: 'c-ghost',
    });

    // Registration fields.
    await refused(() => caller.register({ numExamples: 0 }), status.INVALID_ARGUMENT, 'ERROR_REASON_INVALID_FIELD', {
      field: 'num_examples',
    });
    await refused(
      () => caller.register({ numExamples: 1, displayName: 'n'.repeat(65) }),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_INVALID_FIELD',
      { field: 'display_name' },
    );

    // The upload itself.
    const outOfRange = pairs.map((p, j) => (j === 1 ? { ...p, seedIndex: 64 } : p));
    await refused(
      () => caller.submit(a.token, withPairs(outOfRange)),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_SEED_INDEX_OUT_OF_RANGE',
      {
        position: '1',
        seed_index: '64',
        num_candidate_seeds: '64',
      },
    );
    for (const bad of [NaN, Infinity, -Infinity]) {
      const nonFinite = pairs.map((p, j) => (j === 0 ? { ...p, scalarGrad: bad } : p));
      await refused(
        () => caller.submit(a.token, withPairs(nonFinite)),
        status.INVALID_ARGUMENT,
        'ERROR_REASON_NON_FINITE_SCALAR',
        {
          position: '0',
        },
      );
    }
    // Finite but beyond the API's bound (3e38 twice made A[15] 6e38 and every later catch-up infinite).
    const huge = pairs.map((p, j) => (j === 1 ? { seedIndex: 15, scalarGrad: 3e38 } : p));
    await refused(
      () => caller.submit(a.token, withPairs(huge)),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_SCALAR_OUT_OF_RANGE',
      { position: '1', max_abs_scalar_grad: '1000000000000' },
    );
    const tooMany = Array.from({ length: 9 }, (_, j) => ({ seedIndex: j, scalarGrad: 1 }));
    await refused(
      () => caller.submit(a.token, withPairs(tooMany, { skippedSteps: 0, localStepsRun: 8 })),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_TOO_MANY_PAIRS',
      { count: '9', max_count: '8' },
    );
    await refused(
      () => caller.submit(a.token, { ...valid, localStepsRun: valid.localStepsRun - 1 }),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_INVALID_FIELD',
      { field: 'local_steps_run' },
    );
    await refused(
      () => caller.submit(a.token, { ...valid, round: 2 }),
      status.FAILED_PRECONDITION,
      'ERROR_REASON_ROUND_NOT_OPEN',
      {
        round: '2',
        current_round: '1',
      },
    );
    await refused(
      () => caller.submit(a.token, { ...valid, round: 0 }),
      status.INVALID_ARGUMENT,
      'ERROR_REASON_INVALID_FIELD',
      {
        field: 'round',
      },
    );
    await refused(
      () => caller.submit(a.token, { ...valid, modelVersion: 3 }),
      status.FAILED_PRECONDITION,
      'ERROR_REASON_STALE_VERSION',
      {
        model_version: '3',
        base_version: '0',
      },
    );
    await refused(() => caller.getTask(a.token, 5), status.FAILED_PRECONDITION, 'ERROR_REASON_STALE_VERSION');

    // Not selected ranks before the upload's own problems.
    const taskForC = { ...task };
    const fromC = c.train(taskForC, rng(4));
    await refused(() => caller.submit(c.token, fromC), status.PERMISSION_DENIED, 'ERROR_REASON_NOT_SELECTED', {
      round: '1',
    });
    const nanFromC = { ...fromC, scalarGradients: fromC.scalarGradients.map((p) => ({ ...p, scalarGrad: NaN })) };
    await refused(() => caller.submit(c.token, nanFromC), status.PERMISSION_DENIED, 'ERROR_REASON_NOT_SELECTED');

    // A malformed fingerprint of the base model refuses the whole upload.
    const fp = { version: 0, scheme: 'philox-proj-v1', projections: [1.5, -2.25] };
    for (const bad of [
      { ...fp, version: 1 },
      { ...fp, scheme: '' },
      { ...fp, scheme: 's'.repeat(65) },
      { ...fp, projections: [] },
      { ...fp, projections: new Array(17).fill(1) },
      { ...fp, projections: [1, NaN] },
    ])
      await refused(
        () => caller.submit(a.token, { ...valid, baseModelFingerprint: bad }),
        status.INVALID_ARGUMENT,
        'ERROR_REASON_INVALID_FIELD',
        { field: 'base_model_fingerprint' },
      );

    // Nothing of the above counted: a's valid upload closes the round (quorum 1 of 2), and round 2 opens.
    expect((await caller.submit(a.token, valid)).duplicate).toBe(false);
    const state = await waitFor(async () => {
      const s = await caller.runState(a.token, false);
      return s.currentRound === 2 && s.roundStatus === RoundStatus.ROUND_STATUS_OPEN && s;
    }, 'round 2 to open');
    await app.lifecycle.idle();
    expect(bits(state.accumulated)).toBe(
      bits(aggregateRound(new Float64Array(64), [{ pairs, weight: 10 }]).accumulated),
    );

    // Late: b was selected for round 1 but it closed at quorum.
    const lateTask = { ...task };
    const late = b.train(lateTask, rng(5));
    await refused(() => caller.submit(b.token, late), status.FAILED_PRECONDITION, 'ERROR_REASON_ROUND_CLOSED', {
      round: '1',
      current_round: '2',
    });
    const lateNaN = { ...late, scalarGradients: late.scalarGradients.map((p) => ({ ...p, scalarGrad: NaN })) };
    await refused(() => caller.submit(b.token, lateNaN), status.FAILED_PRECONDITION, 'ERROR_REASON_ROUND_CLOSED');
    // A different upload from a for the closed round: the first one stands.
    const different = {
      ...valid,
      scalarGradients: valid.scalarGradients.map((p, j) => (j === 0 ? { ...p, scalarGrad: p.scalarGrad + 1 } : p)),
    };
    await refused(() => caller.submit(a.token, different), status.ALREADY_EXISTS, 'ERROR_REASON_DUPLICATE_SUBMISSION', {
      round: '1',
    });
    const differentNaN = { ...valid, scalarGradients: valid.scalarGradients.map((p) => ({ ...p, scalarGrad: NaN })) };
    await refused(
      () => caller.submit(a.token, differentNaN),
      status.ALREADY_EXISTS,
      'ERROR_REASON_DUPLICATE_SUBMISSION',
    );
  });

  it('refuses requests that do not decode with INVALID_ARGUMENT/MALFORMED_REQUEST (not INTERNAL), writing nothing', async () => {
    const { app, caller } = await start(testEnv());
    const a = await SimClient.join(caller, 10);
    const raw = new Client(app.server.address, credentials.createInsecure());
    const before = await app.store.dump();
    const cases: [keyof typeof AggregatorServiceService, string, Metadata][] = [
      ['registerClient', '0f', joinSecretMetadata(JOIN_SECRET)], // wire type 7 does not exist
      ['getTask', 'ba', bearerMetadata(a.token)], // a varint cut short
      ['submitScalarGradients', '08011a07081b', bearerMetadata(a.token)], // a ScalarGradient of 7 bytes, 2 sent
      ['getRunState', '0901', bearerMetadata(a.token)], // a fixed64 field of 1 byte
    ];
    try {
      for (const [rpc, hex, metadata] of cases) {
        const outcome = await rawUnaryCall(raw, AggregatorServiceService[rpc].path, Buffer.from(hex, 'hex'), metadata);
        expect({ rpc, code: status[outcome.code], reason: outcome.reason }).toEqual({
          rpc,
          code: 'INVALID_ARGUMENT',
          reason: 'ERROR_REASON_MALFORMED_REQUEST',
        });
      }
    } finally {
      raw.close();
    }
    expect(await app.store.dump()).toBe(before);
  });

  it('closes at the deadline with the uploads that arrived (weights renormalized) and refuses late ones', async () => {
    const env = testEnv({
      CLIENT_FRACTION: '1',
      MIN_CLIENTS_PER_ROUND: '3',
      ROUND_DEADLINE_MS: '400',
      NUM_ROUNDS: '1',
    });
    const { app, caller, events } = await start(env);
    const clients = [
      await SimClient.join(caller, 10),
      await SimClient.join(caller, 20),
      await SimClient.join(caller, 30),
    ];
    const tasks = await Promise.all(clients.map((c) => trainTask(caller, c)));
    const uploads = clients.map((c, i) => c.train(tasks[i], rng(10 + i)));
    await caller.submit(clients[0].token, uploads[0]);
    await caller.submit(clients[2].token, uploads[2]);
    const state = await waitFor(async () => {
      const s = await caller.runState(clients[0].token);
      return s.runStatus === RunStatus.RUN_STATUS_FINISHED && s;
    }, 'the deadline to close the round');
    expect(events.find((e) => e.type === 'closing')).toMatchObject({ trigger: 'deadline' });
    const sorted = [
      { id: clients[0].clientId, pairs: uploads[0].scalarGradients, weight: 10 },
      { id: clients[2].clientId, pairs: uploads[2].scalarGradients, weight: 30 },
    ].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(bits(state.accumulated)).toBe(bits(aggregateRound(new Float64Array(64), sorted).accumulated));
    const before = await app.store.dump();
    expect(await failure(caller.submit(clients[1].token, uploads[1]))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'ERROR_REASON_ROUND_CLOSED',
    });
    expect(await app.store.dump()).toBe(before);
  });
});
