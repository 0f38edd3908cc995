/**
 * The aggregator end to end over real gRPC (localhost:0, generated stubs), on the in-memory store and on a
 * real Redis: several clients over several rounds, then the final A of GetRunState must equal, bit for
 * bit, the pure aggregateRound applied round by round to the same uploads; a repeated upload is counted
 * once.
 */
import { InMemoryRoundStore, type RoundStore } from '@fedkseed/store';
import { RoundStatus, RunStatus, SeedSampling, TaskStatus, type SubmitScalarGradientsRequest } from '@fedkseed/proto';
import { status } from '@grpc/grpc-js';

import {
  AggregatorCaller,
  SKIP_REDIS,
  bits,
  expectPromtoolClean,
  failure,
  rng,
  startApp,
  testEnv,
  waitFor,
  useAppFixture,
} from './harness';
import { metricSample as sample } from '@fedkseed/testing';
import { SimClient, expectedAccumulated, runToCompletion, type RecordedUpload } from './sim-client';

const K = 64;

type StoreKind = 'in-memory' | 'redis';

const kinds: StoreKind[] = SKIP_REDIS ? ['in-memory'] : ['in-memory', 'redis'];

describe.each(kinds)('aggregator end to end (%s store)', (kind) => {
  const { redis, started, callers } = useAppFixture(kind as 'redis' | 'in-memory');

  function storeFor(runId: string): RoundStore {
    return kind === 'redis' ? redis.store(runId) : new InMemoryRoundStore();
  }

  async function start(env: Record<string, string>) {
    const s = await startApp(env, storeFor(env.RUN_ID));
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  it.each([
    ['float32 catch-ups', 'false'],
    ['bfloat16 catch-ups allowed (the default)', 'true'],
  ])(
    'runs several rounds with several clients; the final A is the pure aggregate of the same uploads (%s)',
    async (_, lossy) => {
      const env = testEnv({
        NUM_ROUNDS: '4',
        MIN_CLIENTS_PER_ROUND: '3',
        CLIENT_FRACTION: '0.5',
        ALLOW_LOSSY_CATCH_UP: lossy,
      });
      const { caller, events, app } = await start(env);
      const clients: SimClient[] = [];
      for (const n of [12, 40, 7, 25, 3, 60]) clients.push(await SimClient.join(caller, n));
      const uploads: RecordedUpload[] = [];
      await runToCompletion([caller], clients, uploads, 7);

      const state = await caller.runState(clients[0].token);
      expect(state.runStatus).toBe(RunStatus.RUN_STATUS_FINISHED);
      expect(state.modelVersion).toBe(4);
      expect(state.currentRound).toBe(4);
      expect(state.roundStatus).toBe(RoundStatus.ROUND_STATUS_CLOSED);
      expect(state.run).toMatchObject({
        runId: env.RUN_ID,
        numCandidateSeeds: K,
        numLocalSteps: 8,
        runSeed: 42n,
        numRounds: 4,
        seedSampling: SeedSampling.SEED_SAMPLING_UNIFORM,
      });
      expect(new Set(uploads.map((u) => u.round))).toEqual(new Set([1, 2, 3, 4]));
      // Rounds 2..4 select 3 of the 6 clients (m = 0.5), and each selected one uploads once.
      for (let round = 2; round <= 4; round++) expect(uploads.filter((u) => u.round === round)).toHaveLength(3);
      const expected = expectedAccumulated(uploads, 4, K);
      expect(bits(state.accumulated)).toBe(bits(expected));
      expect(state.accumulated.some((v) => v !== 0)).toBe(true);

      // Every client rebuilt A from its catch-ups, within the wire rounding of each change: float32 (relative
      // 2^-24) or bfloat16 (2^-9, round to nearest), bounded here by 2^-23 and 2^-8 of the magnitudes applied.
      const relative = lossy === 'true' ? 2 ** -8 : 2 ** -23;
      for (const client of clients) {
        expect(client.modelVersion).toBe(4);
        for (let i = 0; i < K; i++)
          expect(Math.abs(client.localA[i] - expected[i])).toBeLessThanOrEqual(relative * client.appliedMagnitude[i]);
      }
      const bf16CatchUps = clients.reduce((n, c) => n + (c.catchUpEncodings.denseBf16 ?? 0), 0);
      if (lossy === 'true') expect(bf16CatchUps).toBeGreaterThan(0);
      else expect(bf16CatchUps).toBe(0);
      // One open and one close per round, all by this replica.
      expect(events.filter((e) => e.type === 'opened').map((e) => e.round)).toEqual([0, 1, 2, 3]);
      expect(events.filter((e) => e.type === 'closed').map((e) => e.round)).toEqual([0, 1, 2, 3]);
      expect(events.at(-1)).toEqual({ type: 'finished', version: 4 });
      // The operator token reads the state too.
      const asOperator = await caller.runState(app.auth.operatorToken(), true);
      expect(asOperator).toMatchObject({ modelVersion: 4, accumulated: [] });

      // The metrics count the same rounds, uploads, pairs and catch-ups, and pass Prometheus's linter.
      const exposition = await app.metrics.metrics();
      const value = (series: string) => sample(exposition, series);
      expect(value('fedkseed_rounds_closed_total{trigger="quorum"}')).toBe(4);
      expect(value('fedkseed_round_duration_seconds_count')).toBe(4);
      expect(value('fedkseed_round_clients_selected')).toBe(3);
      expect(value('fedkseed_round_open')).toBe(0); // the last round committed
      expect(value('fedkseed_round_deadline_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000);
      expect(value('fedkseed_uploads_total{outcome="accepted"}')).toBe(uploads.length);
      expect(value('fedkseed_zo_steps_total')).toBe(8 * uploads.length);
      const messages = (method: string, direction: string) =>
        value(
          `fedkseed_grpc_server_message_bytes_count{grpc_service="fedkseed.v1.AggregatorService",grpc_method="${method}",direction="${direction}"}`,
        );
      expect(messages('SubmitScalarGradients', 'received')).toBe(uploads.length);
      expect(messages('GetTask', 'sent')).toBeGreaterThanOrEqual(uploads.length);
      expect(value('fedkseed_upload_scalar_gradient_abs_max_count')).toBe(uploads.filter((u) => u.pairs.length).length);
      const sent = (encoding: string) => clients.reduce((n, c) => n + (c.catchUpEncodings[encoding] ?? 0), 0);
      for (const [label, encoding] of [
        ['sparse', 'sparse'],
        ['dense', 'dense'],
        ['dense_bf16', 'denseBf16'],
      ])
        expect(value(`fedkseed_catch_ups_total{encoding="${label}"}`) ?? 0).toBe(sent(encoding));
      const labels =
        'grpc_service="fedkseed.v1.AggregatorService",grpc_method="SubmitScalarGradients",grpc_type="unary"';
      expect(value(`fedkseed_grpc_server_handled_total{${labels},grpc_code="OK"}`)).toBe(uploads.length);
      await expectPromtoolClean(app.metrics);
    },
  );

  it('counts a repeated upload once and refuses a different one for the same round', async () => {
    const env = testEnv({ NUM_ROUNDS: '1', MIN_CLIENTS_PER_ROUND: '2', CLIENT_FRACTION: '1' });
    const { caller, app } = await start(env);
    const a = await SimClient.join(caller, 10);
    const b = await SimClient.join(caller, 30);
    const task = await waitFor(async () => {
      const t = await caller.getTask(a.token, 0);
      return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
    }, 'round 1 to open');
    expect(task.round).toBe(1);
    // GetTask is idempotent within a round.
    const again = await caller.getTask(a.token, 0);
    expect(again).toEqual({ ...task, deadlineInMs: again.deadlineInMs });

    const upload: SubmitScalarGradientsRequest = a.train(task, rng(1));
    expect(await caller.submit(a.token, upload)).toEqual({
      duplicate: false,
      acceptedPairCount: upload.scalarGradients.length,
    });
    const before = await app.store.dump();
    expect(await caller.submit(a.token, upload)).toEqual({
      duplicate: true,
      acceptedPairCount: upload.scalarGradients.length,
    });
    // A repeat that carries a model fingerprint is a duplicate too: it changes nothing, the fingerprint included.
    const fingerprint = { version: 0, scheme: 'philox-proj-v1', projections: [0.5, -1.25, 3, 7] };
    expect(await caller.submit(a.token, { ...upload, baseModelFingerprint: fingerprint })).toEqual({
      duplicate: true,
      acceptedPairCount: upload.scalarGradients.length,
    });
    expect(await app.store.dump()).toBe(before);
    // Same pairs, another mean loss: still the same upload (the API's duplicate), nothing written.
    expect(await caller.submit(a.token, { ...upload, meanLocalLoss: upload.meanLocalLoss + 1 })).toEqual({
      duplicate: true,
      acceptedPairCount: upload.scalarGradients.length,
    });
    expect(await app.store.dump()).toBe(before);
    const different = {
      ...upload,
      scalarGradients: upload.scalarGradients.map((p, j) => (j === 0 ? { ...p, scalarGrad: p.scalarGrad + 1 } : p)),
    };
    expect(await failure(caller.submit(a.token, different))).toMatchObject({
      code: status.ALREADY_EXISTS,
      reason: 'ERROR_REASON_DUPLICATE_SUBMISSION',
    });
    const errors = 'grpc_service="fedkseed.v1.AggregatorService",grpc_method="SubmitScalarGradients",grpc_type="unary"';
    const exposition = await app.metrics.metrics();
    expect(
      sample(
        exposition,
        `fedkseed_grpc_server_errors_total{${errors},grpc_code="ALREADY_EXISTS",reason="ERROR_REASON_DUPLICATE_SUBMISSION"}`,
      ),
    ).toBe(1);
    expect(sample(exposition, 'fedkseed_uploads_total{outcome="duplicate"}')).toBe(3); // the three repeats above
    expect(await app.store.dump()).toBe(before);
    // After uploading, the client waits.
    expect((await caller.getTask(a.token, 0)).status).toBe(TaskStatus.TASK_STATUS_WAIT);

    // The second client's upload completes the round; A holds a's pairs once.
    const taskB = await caller.getTask(b.token, 0);
    const uploadB = b.train(taskB, rng(2));
    await caller.submit(b.token, uploadB);
    const state = await waitFor(async () => {
      const s = await caller.runState(a.token);
      return s.runStatus === RunStatus.RUN_STATUS_FINISHED && s;
    }, 'the run to finish');
    const expected = expectedAccumulated(
      [
        { round: 1, clientId: a.clientId, numExamples: 10, pairs: upload.scalarGradients },
        { round: 1, clientId: b.clientId, numExamples: 30, pairs: uploadB.scalarGradients },
      ],
      1,
      K,
    );
    expect(bits(state.accumulated)).toBe(bits(expected));
    // A repeat after the round closed is still a duplicate, not an error.
    expect((await caller.submit(a.token, upload)).duplicate).toBe(true);
  });

  it('tells a client the open round did not select to come back within IDLE_RETRY_AFTER_MS', async () => {
    const env = testEnv({
      NUM_ROUNDS: '1',
      MIN_CLIENTS_PER_ROUND: '1',
      MIN_REGISTERED_CLIENTS: '3',
      CLIENT_FRACTION: '0.3',
      IDLE_RETRY_AFTER_MS: '750',
    });
    const { caller } = await start(env);
    const clients = [await SimClient.join(caller, 1), await SimClient.join(caller, 2), await SimClient.join(caller, 3)];
    const tasks = await waitFor(async () => {
      const all = await Promise.all(clients.map((c) => caller.getTask(c.token, 0)));
      return all.some((t) => t.status === TaskStatus.TASK_STATUS_TRAIN) && all;
    }, 'round 1 to open');
    const idle = tasks.filter((t) => t.status !== TaskStatus.TASK_STATUS_TRAIN);
    expect(idle).toHaveLength(2);
    for (const t of idle) expect(t).toMatchObject({ status: TaskStatus.TASK_STATUS_WAIT, round: 1, retryAfterMs: 750 });
  });

  it("hands out the first client's fingerprint of a model version with the tasks at that version", async () => {
    const env = testEnv({ NUM_ROUNDS: '1', MIN_CLIENTS_PER_ROUND: '2', CLIENT_FRACTION: '1' });
    const { caller, app } = await start(env);
    const a = await SimClient.join(caller, 5);
    const b = await SimClient.join(caller, 6);
    const trainTask = (c: SimClient) =>
      waitFor(async () => {
        const t = await caller.getTask(c.token, 0);
        return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
      }, 'a TRAIN task');
    const taskA = await trainTask(a);
    expect(taskA.fingerprint).toBeUndefined();
    const fp = { version: 0, scheme: 'philox-proj-v1', projections: [0.125, -3.5, 17.25, 1e-3] };
    await caller.submit(a.token, { ...a.train(taskA, rng(1)), baseModelFingerprint: fp });
    const taskB = await trainTask(b);
    expect(taskB.fingerprint).toEqual(fp);
    expect((await caller.runState(b.token, true)).fingerprint).toEqual(fp);
    // A later, different report for the same version does not replace the first.
    const other = { ...fp, projections: [1, 2, 3, 4] };
    await caller.submit(b.token, { ...b.train(taskB, rng(2)), baseModelFingerprint: other });
    const c = await SimClient.join(caller, 7);
    await waitFor(
      async () => (await caller.getTask(c.token, 0)).status === TaskStatus.TASK_STATUS_DONE,
      'the run to end',
    );
    const kept = await app.store.getFingerprint(0);
    expect(kept?.scheme).toBe(fp.scheme);
    expect(Array.from(kept!.projections)).toEqual(fp.projections);
  });

  it('registers idempotently with an idempotency key', async () => {
    const { caller } = await start(testEnv());
    const first = await caller.register({ numExamples: 5, idempotencyKey: 'device-1' });
    const second = await caller.register({ numExamples: 5, idempotencyKey: 'device-1' });
    expect(second.clientId).toBe(first.clientId);
    expect(second.clientToken).toBe(first.clientToken);
    const other = await caller.register({ numExamples: 5 });
    expect(other.clientId).not.toBe(first.clientId);
    expect(await failure(caller.register({ numExamples: 6, idempotencyKey: 'device-1' }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'ERROR_REASON_INVALID_FIELD',
    });
  });
});
