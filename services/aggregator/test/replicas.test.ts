/**
 * Several aggregators on one run in a real Redis: closers racing for the same round commit it once;
 * two full replicas serving the same clients open and close every round once; a restarted aggregator
 * continues the open round; a round left 'closing' by a dead replica is taken over when its lease expires.
 */
import { RunStatus, TaskStatus } from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import {
  aggregateRound,
  createSeedStrategy,
  roundSamplingSeed,
  selectParticipants,
  type ScalarGradient,
} from '@fedkseed/zo';

import { loadConfig } from '../src/config';
import { RoundLifecycle, type CloseOutcome } from '../src/round-lifecycle';
import {
  AggregatorCaller,
  bits,
  describeRedis,
  rng,
  startApp,
  testEnv,
  uniqueRunId,
  waitFor,
  useAppFixture,
} from './harness';
import { SimClient, expectedAccumulated, runToCompletion, type RecordedUpload } from './sim-client';

const K = 64;

function randomPairs(random: () => number, n: number): ScalarGradient[] {
  return Array.from({ length: n }, () => ({
    seedIndex: Math.floor(random() * K),
    scalarGrad: Math.fround((random() - 0.5) * 8),
  }));
}

describeRedis('aggregator replicas on one Redis run', () => {
  const { redis, started, callers } = useAppFixture('redis');

  async function start(env: Record<string, string>, replicaId: string) {
    const s = await startApp({ ...env, REPLICA_ID: replicaId }, redis.store(env.RUN_ID));
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  it('closes each round once when several closers race for it', async () => {
    const env = testEnv({ RUN_ID: uniqueRunId() });
    const config = loadConfig(env);
    const setup = redis.store(env.RUN_ID);
    await setup.initRun(config.run);
    const clients = ['c-a', 'c-b', 'c-c', 'c-d'];
    for (const [i, clientId] of clients.entries()) await setup.registerClient({ clientId, numExamples: 5 + 10 * i });
    const closers = ['replica-1', 'replica-2', 'replica-3'].map(
      (closerId) =>
        new RoundLifecycle({
          store: redis.store(env.RUN_ID),
          run: config.run,
          strategy: createSeedStrategy(config.run),
          rounds: config.rounds,
          closerId,
          logger: silentLogger(),
        }),
    );
    const random = rng(11);
    let expected: Float64Array = new Float64Array(K);
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      await setup.openRound({
        round,
        participants: clients,
        deadlineMs: Date.now() + 60_000,
        samplingSeed: roundSamplingSeed(42n, round),
      });
      const uploads = [];
      for (const [i, clientId] of clients.entries()) {
        const pairs = randomPairs(random, 1 + (round % 8));
        await setup.acceptUpload({ round, clientId, pairs, numLocalSteps: pairs.length, meanLoss: 1 });
        uploads.push({ pairs, weight: 5 + 10 * i });
      }
      expected = aggregateRound(expected, uploads).accumulated;
      const outcomes: CloseOutcome[] = await Promise.all(closers.map((c) => c.closeRound(round)));
      const committed = outcomes.filter((o) => o.kind === 'committed');
      expect(committed).toEqual([{ kind: 'committed', version: round + 1 }]);
      for (const o of outcomes) expect(['committed', 'lease-held', 'already-closed', 'lost']).toContain(o.kind);
      const info = await setup.getRound(round);
      expect(info?.status).toBe('closed');
      expect(info?.closerId).toBe(closers[outcomes.findIndex((o) => o.kind === 'committed')].closerId);
      // A late closer finds nothing to do.
      expect(await closers[0].closeRound(round)).toEqual({ kind: 'already-closed' });
    }
    const { version, accumulated } = await setup.getAccumulated();
    expect(version).toBe(rounds);
    expect(bits(accumulated)).toBe(bits(expected));
  });

  it('runs a federation through two replicas at once: every round opened and closed exactly once', async () => {
    const env = testEnv({
      NUM_ROUNDS: '4',
      CLIENT_FRACTION: '0.5',
      MIN_CLIENTS_PER_ROUND: '4',
      ROUND_POLL_MS: '20',
    });
    const one = await start(env, 'replica-one');
    const two = await start(env, 'replica-two');
    const clients: SimClient[] = [];
    for (const n of [5, 9, 13, 17, 21, 25, 29, 33])
      clients.push(await SimClient.join(clients.length % 2 ? two.caller : one.caller, n));
    const uploads: RecordedUpload[] = [];
    await runToCompletion([two.caller, one.caller], clients, uploads, 21);
    const events = [...one.events, ...two.events];
    for (let round = 0; round < 4; round++) {
      expect(events.filter((e) => e.type === 'opened' && e.round === round)).toHaveLength(1);
      expect(events.filter((e) => e.type === 'closed' && e.round === round)).toHaveLength(1);
    }
    for (let round = 1; round <= 4; round++) expect(uploads.filter((u) => u.round === round)).toHaveLength(4);
    const expected = expectedAccumulated(uploads, 4, K);
    const state = await one.caller.runState(clients[0].token);
    expect(state.runStatus).toBe(RunStatus.RUN_STATUS_FINISHED);
    expect(bits(state.accumulated)).toBe(bits(expected));
    expect(bits((await two.caller.runState(clients[1].token)).accumulated)).toBe(bits(expected));
  });

  it('continues the open round after a restart (new instance, same store)', async () => {
    const env = testEnv({ CLIENT_FRACTION: '1', MIN_CLIENTS_PER_ROUND: '3', NUM_ROUNDS: '2' });
    const first = await start(env, 'before-restart');
    const clients = [
      await SimClient.join(first.caller, 10),
      await SimClient.join(first.caller, 20),
      await SimClient.join(first.caller, 30),
    ];
    const tasks = await waitFor(async () => {
      const ts = await Promise.all(clients.map((c) => first.caller.getTask(c.token, 0)));
      return ts.every((t) => t.status === TaskStatus.TASK_STATUS_TRAIN) && ts;
    }, 'round 1 to open');
    const random = rng(31);
    const uploads = clients.map((c, i) => c.train(tasks[i], random));
    await first.caller.submit(clients[0].token, uploads[0]);
    await first.caller.submit(clients[1].token, uploads[1]);
    const before = await first.app.store.dump();
    await first.app.drain(); // as SIGTERM would; afterEach's second drain is a no-op

    const second = await start(env, 'after-restart');
    await second.app.lifecycle.idle();
    // Nothing was reopened or closed: the same round, with the same task.
    expect(second.events).toEqual([]);
    expect(await second.app.store.dump()).toBe(before);
    const again = await second.caller.getTask(clients[2].token, 0);
    expect({ ...again, deadlineInMs: 0 }).toEqual({ ...tasks[2], deadlineInMs: 0 });
    await second.caller.submit(clients[2].token, uploads[2]);
    const state = await waitFor(async () => {
      const s = await second.caller.runState(clients[0].token);
      return s.modelVersion === 1 && s;
    }, 'round 1 to close');
    const sorted = clients
      .map((c, i) => ({ id: c.clientId, pairs: uploads[i].scalarGradients, weight: c.numExamples }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(bits(state.accumulated)).toBe(bits(aggregateRound(new Float64Array(K), sorted).accumulated));
    expect(second.events.filter((e) => e.type === 'closed')).toEqual([
      { type: 'closed', round: 0, numUploads: 3, version: 1, numClipped: 0 },
    ]);
  });

  it("takes over a round left 'closing' by a dead replica once its lease expires", async () => {
    const env = testEnv({ CLIENT_FRACTION: '1', MIN_CLIENTS_PER_ROUND: '2', NUM_ROUNDS: '1' });
    const config = loadConfig(env);
    const setup = redis.store(env.RUN_ID);
    await setup.initRun(config.run);
    await setup.registerClient({ clientId: 'c-one', numExamples: 3 });
    await setup.registerClient({ clientId: 'c-two', numExamples: 9 });
    const participants = selectParticipants(['c-one', 'c-two'], {
      clientFraction: 1,
      minClients: 2,
      runSeed: 42n,
      round: 0,
    });
    await setup.openRound({ round: 0, participants, deadlineMs: Date.now() + 60_000, samplingSeed: 1n });
    const random = rng(41);
    const pairsOne = randomPairs(random, 8);
    const pairsTwo = randomPairs(random, 5);
    await setup.acceptUpload({ round: 0, clientId: 'c-one', pairs: pairsOne, numLocalSteps: 8, meanLoss: 1 });
    await setup.acceptUpload({ round: 0, clientId: 'c-two', pairs: pairsTwo, numLocalSteps: 8, meanLoss: 1 });
    const leaseMs = 600;
    const dead = await setup.beginClose(0, 'dead-replica', leaseMs);

    const { app, events } = await start(env, 'survivor');
    expect(await setup.getRound(0)).toMatchObject({ status: 'closing', closerId: 'dead-replica' });
    await waitFor(async () => (await setup.getAccumulated()).version === 1, 'the takeover to commit', 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(dead.leaseExpiresAtMs - 50);
    expect(events.filter((e) => e.type === 'closing')).toEqual([
      { type: 'closing', round: 0, lease: 'taken-over', trigger: 'resume' },
    ]);
    expect(await setup.getRound(0)).toMatchObject({ status: 'closed', closerId: 'survivor' });
    const expected = aggregateRound(new Float64Array(K), [
      { pairs: pairsOne, weight: 3 },
      { pairs: pairsTwo, weight: 9 },
    ]).accumulated;
    expect(bits((await app.store.getAccumulated()).accumulated)).toBe(bits(expected));
  });
});
