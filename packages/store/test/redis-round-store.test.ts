/**
 * RedisRoundStore against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). Unreachable Redis fails
 * the suite; set FEDKSEED_SKIP_REDIS_TESTS=1 to skip it instead. Each test uses its own key prefix, two
 * connections (store and replica, as two aggregator replicas would) and deletes its keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { deleteRunKeys, isStoreError, RedisRoundStore, scanRunKeys, type RunKeys } from '../src';
import { roundStoreConformance } from './round-store.conformance';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKIP = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';

const uniquePrefix = () => `test-${process.pid}-${randomBytes(6).toString('hex')}:`;

/** Every key of the run, its type, content (binary as hex) and TTL: what dump() must agree with. */
async function rawState(redis: Redis, keys: RunKeys): Promise<string> {
  const out: unknown[] = [];
  for (const key of await scanRunKeys(redis, keys)) {
    const type = await redis.type(key);
    let content: unknown;
    if (type === 'string') content = (await redis.getBuffer(key))!.toString('hex');
    else if (type === 'hash')
      content = Object.entries(await redis.hgetallBuffer(key))
        .map(([f, v]) => [f, v.toString('hex')])
        .sort();
    else if (type === 'set') content = (await redis.smembers(key)).sort();
    else content = `unexpected type ${type}`;
    out.push([key, type, await redis.pttl(key), content]);
  }
  return JSON.stringify(out);
}

(SKIP ? describe.skip : describe)('RedisRoundStore', () => {
  const connections: Redis[] = [];
  let main: Redis;
  let second: Redis;

  function connection(enableAutoPipelining: boolean): Redis {
    const redis = new Redis(REDIS_URL, {
      enableAutoPipelining,
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    redis.on('error', () => {}); // failures surface through the commands; keep the log clean
    connections.push(redis);
    return redis;
  }

  beforeAll(async () => {
    // The store's own connection (made from a URL) auto-pipelines; a caller's may not: both are covered.
    main = connection(true);
    second = connection(false);
    try {
      await Promise.all([main.connect(), second.connect()]);
      await main.ping();
    } catch (e) {
      throw new Error(
        `Redis is unreachable at ${REDIS_URL} (${(e as Error).message}). Start one, point REDIS_URL at one, ` +
          'or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip these tests.',
      );
    }
  });

  afterAll(async () => {
    await Promise.all(connections.map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  });

  roundStoreConformance('RedisRoundStore', async (clock) => {
    const keyPrefix = uniquePrefix();
    const store = new RedisRoundStore({ redis: main, runId: 'conformance', keyPrefix, clock });
    const replica = new RedisRoundStore({ redis: second, runId: 'conformance', keyPrefix, clock });
    return {
      store,
      replica,
      rawState: () => rawState(main, store.keys),
      dispose: async () => {
        await deleteRunKeys(main, store.keys);
      },
    };
  });

  describe('Redis specifics', () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    function makeStore(options: { redis?: Redis; runId?: string } = {}): RedisRoundStore {
      const store = new RedisRoundStore({
        redis: main,
        runId: `run-${randomBytes(3).toString('hex')}`,
        keyPrefix: uniquePrefix(),
        ...options,
      });
      cleanups.push(() => deleteRunKeys(main, store.keys));
      return store;
    }

    it('keeps every key of a run under its prefix and hash tag, with the names of keys.ts', async () => {
      const store = makeStore();
      await store.initRun({ runId: 'keys', runSeed: 1n, numCandidateSeeds: 8, seedSampling: 'importance' });
      await store.registerClient({ clientId: 'c1', numExamples: 3 });
      await store.openRound({ round: 0, participants: ['c1'], deadlineMs: Date.now() + 60_000, samplingSeed: 1n });
      await store.acceptUpload({
        round: 0,
        clientId: 'c1',
        pairs: [{ seedIndex: 1, scalarGrad: 2 }],
        numLocalSteps: 1,
        meanLoss: 0,
      });
      await store.beginClose(0, 'a', 10_000);
      await store.commitClose({
        round: 0,
        closerId: 'a',
        accumulated: new Float64Array(8),
        delta: { seedIndices: new Uint32Array(0), values: new Float64Array(0) },
      });
      await store.recordRoundScalars(0, [{ seedIndex: 1, scalarGrad: 2 }]);
      const k = store.keys;
      expect(await scanRunKeys(main, k)).toEqual(
        [
          k.run,
          k.accumulated,
          k.clients,
          k.round(0),
          k.participants(0),
          k.uploads(0),
          k.deltas,
          k.seedStats,
          k.seedStatsRounds,
        ].sort(),
      );
      expect(k.run).toBe(`${k.keyPrefix}fedkseed:{${k.runId}}:run`);
      expect(await main.strlen(k.accumulated)).toBe(64); // 8 float64
      expect((await main.hgetBuffer(k.uploads(0), 'c1'))!.length).toBe(12 + 8); // header + one 8-byte pair
    });

    it('uses the Redis server clock for leases and timestamps when no clock is given', async () => {
      const runId = `clock-${randomBytes(3).toString('hex')}`;
      const keyPrefix = uniquePrefix();
      const a = new RedisRoundStore({ redis: main, runId, keyPrefix });
      const b = new RedisRoundStore({ redis: second, runId, keyPrefix });
      cleanups.push(() => deleteRunKeys(main, a.keys));
      const before = Date.now();
      const { run } = await a.initRun({ runId, runSeed: 1n, numCandidateSeeds: 4 });
      expect(Math.abs(run.createdAtMs - before)).toBeLessThan(5000);
      await a.registerClient({ clientId: 'c1', numExamples: 1 });
      await a.openRound({ round: 0, participants: ['c1'], deadlineMs: Date.now() + 60_000, samplingSeed: 1n });
      await a.beginClose(0, 'a', 200);
      await expect(b.beginClose(0, 'b', 200)).rejects.toMatchObject({ reason: 'LEASE_HELD' });
      await sleep(300);
      expect((await b.beginClose(0, 'b', 10_000)).status).toBe('taken-over');
      await expect(
        a.commitClose({
          round: 0,
          closerId: 'a',
          accumulated: new Float64Array(4),
          delta: { seedIndices: new Uint32Array(0), values: new Float64Array(0) },
        }),
      ).rejects.toMatchObject({ reason: 'LEASE_LOST' });
    });

    it('opens its own connection from REDIS_URL and closes it', async () => {
      const store = new RedisRoundStore({ runId: 'own', keyPrefix: uniquePrefix() });
      cleanups.push(() => deleteRunKeys(main, store.keys));
      expect(await store.getRun()).toBeUndefined();
      await store.close();
    });

    it('reads the delta of each closed round from Redis once, shared by concurrent callers, and keeps the latest 64', async () => {
      const writer = makeStore();
      await writer.initRun({ runId: 'deltas', runSeed: 1n, numCandidateSeeds: 8 });
      await writer.registerClient({ clientId: 'c1', numExamples: 1 });
      const rounds = 70;
      const deltaOf = (round: number) => ({
        seedIndices: new Uint32Array([round % 4, 4 + (round % 4)]),
        values: new Float64Array([round + 0.5, -round / 3]),
      });
      for (let round = 0; round < rounds; round++) {
        await writer.openRound({ round, participants: ['c1'], deadlineMs: Date.now() + 60_000, samplingSeed: 1n });
        await writer.beginClose(round, 'a', 10_000);
        await writer.commitClose({ round, closerId: 'a', accumulated: new Float64Array(8), delta: deltaOf(round) });
      }
      const expected = (from: number) => ({
        fromVersion: from,
        toVersion: rounds,
        deltas: Array.from({ length: rounds - from }, (_, j) => ({ round: from + j, ...deltaOf(from + j) })),
      });
      const reader = new RedisRoundStore({ redis: second, runId: writer.keys.runId, keyPrefix: writer.keys.keyPrefix });
      const reads = jest.spyOn(second, 'hmgetBuffer');
      try {
        const answers = await Promise.all(Array.from({ length: 20 }, () => reader.getDeltasSince(rounds - 2)));
        for (const answer of answers) expect(answer).toEqual(expected(rounds - 2));
        expect(reads).toHaveBeenCalledTimes(1);

        expect(await reader.getDeltasSince(0)).toEqual(expected(0)); // reads rounds 0 .. 67, keeps 6 .. 69
        expect(reads).toHaveBeenCalledTimes(2);
        expect(await reader.getDeltasSince(rounds - 64)).toEqual(expected(rounds - 64));
        expect(reads).toHaveBeenCalledTimes(2);
        expect(await reader.getDeltasSince(rounds - 65)).toEqual(expected(rounds - 65)); // round 5 was let go
        expect(reads).toHaveBeenCalledTimes(3);
        expect(reads.mock.calls[2].slice(1)).toEqual([String(rounds - 65)]);

        // A failed read is not kept: the next call reads again.
        reads.mockRejectedValueOnce(new Error('connection lost'));
        await expect(reader.getDeltasSince(0)).rejects.toThrow('connection lost');
        expect(await reader.getDeltasSince(0)).toEqual(expected(0));
      } finally {
        reads.mockRestore();
      }
    });

    it('refuses run ids that would break the hash tag', () => {
      expect(() => makeStore({ runId: 'a{b}' })).toThrow(RangeError);
    });

    it('translates every failure into a typed error', async () => {
      const store = makeStore();
      const error = await store.registerClient({ clientId: 'c1', numExamples: 1 }).catch((e: unknown) => e);
      expect(isStoreError(error, 'RUN_NOT_INITIALIZED')).toBe(true);
    });
  });
});
