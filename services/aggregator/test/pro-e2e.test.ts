/**
 * FedKSeed-Pro end to end on Redis: the aggregator assigns each client's seeds from the round's importance
 * probabilities, computed either in the aggregator from the store's statistics or by the seed-probability
 * service over gRPC (which this test starts: the one place a service's test starts the other). Each round's
 * stored probabilities must equal p = softmax(minmax(psi)) over every earlier round's pairs, and the final
 * A the pure aggregate.
 */
import { randomBytes } from 'node:crypto';

import { TaskStatus } from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { InMemoryRoundStore, RedisRoundStore, type RoundStore } from '@fedkseed/store';
import { SeedImportance } from '@fedkseed/zo';

import {
  loadConfig as loadSeedConfig,
  startSeedProbabilityApp,
  type SeedProbabilityApp,
} from '@fedkseed/seed-probability';
import { AggregatorCaller, SKIP_REDIS, bits, failure, rng, startApp, testEnv, waitFor, useAppFixture } from './harness';
import { SimClient, expectedAccumulated, runToCompletion, type RecordedUpload } from './sim-client';

const K = 64;
const kinds = SKIP_REDIS ? ['in-memory'] : ['redis', 'in-memory'];

describe.each(kinds)('FedKSeed-Pro end to end (%s store)', (kind) => {
  const seedApps: SeedProbabilityApp[] = [];
  const { redis, started, callers } = useAppFixture(kind as 'redis' | 'in-memory', async () => {
    for (const s of seedApps.splice(0)) await s.drain();
  });

  const storeFor = (runId: string): RoundStore => (kind === 'redis' ? redis.store(runId) : new InMemoryRoundStore());

  async function runPro(env: Record<string, string>) {
    const s = await startApp(env, storeFor(env.RUN_ID));
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    const clients: SimClient[] = [];
    for (const n of [4, 8, 15, 16]) clients.push(await SimClient.join(caller, n));
    const uploads: RecordedUpload[] = [];
    await runToCompletion([caller], clients, uploads, 99);

    // Round r's stored probabilities come from the pairs of rounds 1 .. r-1 (uniform for round 1).
    const importance = new SeedImportance(K);
    for (let round = 1; round <= 3; round++) {
      const info = await s.app.store.getRound(round - 1);
      expect(info).toBeDefined();
      if (round === 1) expect(info!.probabilities).toBeUndefined();
      else expect(bits(info!.probabilities!)).toBe(bits(importance.probabilities()));
      for (const u of uploads.filter((x) => x.round === round))
        for (const p of u.pairs) importance.observe(p.seedIndex, p.scalarGrad);
    }
    const expected = expectedAccumulated(uploads, 3, K);
    expect(bits((await caller.runState(clients[0].token)).accumulated)).toBe(bits(expected));
    return { s, caller, clients, uploads, importance };
  }

  it('computes the probabilities in the aggregator from the store statistics', async () => {
    const env = testEnv({
      SEED_SAMPLING: 'importance',
      NUM_ROUNDS: '3',
      CLIENT_FRACTION: '0.5',
      MIN_CLIENTS_PER_ROUND: '4',
    });
    const { s } = await runPro(env);
    // Every closed round was fed into the statistics exactly once.
    expect((await s.app.store.getSeedStats()).roundsRecorded).toBe(3);
  });

  it('asks the seed-probability service over gRPC', async () => {
    const runId = `t-${process.pid}-${randomBytes(6).toString('hex')}`;
    const seedConfig = loadSeedConfig({
      RUN_ID: runId,
      HOST: 'localhost',
      PORT: '0',
      NUM_CANDIDATE_SEEDS: String(K),
      SEED_SAMPLING: 'importance',
    });
    const seedApp = await startSeedProbabilityApp(seedConfig, {
      store:
        kind === 'redis'
          ? new RedisRoundStore({ redis: redis.connection(), runId: seedConfig.storeRunId })
          : new InMemoryRoundStore(),
      logger: silentLogger('seed-probability'),
    });
    if (kind === 'redis') redis.store(seedConfig.storeRunId); // registers the namespace for cleanup
    seedApps.push(seedApp);
    const env = testEnv({
      RUN_ID: runId,
      SEED_SAMPLING: 'importance',
      NUM_ROUNDS: '3',
      CLIENT_FRACTION: '0.5',
      MIN_CLIENTS_PER_ROUND: '4',
      SEED_PROBABILITY_ADDRESS: seedApp.server.address,
    });
    const { s, uploads } = await runPro(env);
    // The service holds the statistics (rounds 1..3 reported); the aggregator's own store holds none.
    expect((await seedApp.store.getSeedStats()).roundsRecorded).toBe(3);
    expect((await s.app.store.getSeedStats()).roundsRecorded).toBe(0);
    expect(uploads.length).toBeGreaterThan(0);
  });

  it('refuses an upload that uses a seed the round did not assign', async () => {
    const env = testEnv({
      SEED_SAMPLING: 'importance',
      NUM_ROUNDS: '1',
      CLIENT_FRACTION: '1',
      MIN_CLIENTS_PER_ROUND: '2',
    });
    const s = await startApp(env, storeFor(env.RUN_ID));
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    const a = await SimClient.join(caller, 3);
    await SimClient.join(caller, 5);
    const task = await waitFor(async () => {
      const t = await caller.getTask(a.token, 0);
      return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
    }, 'round 1');
    expect(task.seedDistribution?.distribution?.$case).toBe('assigned');
    const upload = a.train(task, rng(1));
    const assigned =
      task.seedDistribution!.distribution!.$case === 'assigned'
        ? task.seedDistribution!.distribution!.assigned.seedIndices
        : [];
    const unassigned = [...Array(K).keys()].find((i) => !assigned.includes(i))!;
    const bad = {
      ...upload,
      scalarGradients: [{ seedIndex: unassigned, scalarGrad: 1 }],
      localStepsRun: 1 + upload.skippedSteps,
    };
    const before = await s.app.store.dump();
    expect(await failure(caller.submit(a.token, bad))).toMatchObject({ reason: 'ERROR_REASON_SEED_NOT_ASSIGNED' });
    // A round that was never opened has no assignment to check against: ROUND_NOT_OPEN, as in plain FedKSeed.
    expect(await failure(caller.submit(a.token, { ...upload, round: 2 }))).toMatchObject({
      reason: 'ERROR_REASON_ROUND_NOT_OPEN',
      metadata: { round: '2', current_round: '1' },
    });
    expect(await s.app.store.dump()).toBe(before);
    expect((await caller.submit(a.token, upload)).duplicate).toBe(false);
  });
});
