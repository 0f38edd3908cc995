/**
 * The seed-probability service over real gRPC (localhost:0, generated stubs) on a real Redis and on the
 * in-memory store: uniform before any history, importance-weighted after, each round's answer fixed by its
 * first call, reports idempotent by round, refused requests changing nothing, and the K = 4096 recompute
 * timed.
 */
import { randomBytes } from 'node:crypto';

import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  SeedProbabilityServiceClient,
  bearerMetadata,
  errorReasonToJSON,
  readErrorDetail,
  type GetSeedDistributionResponse,
  type ReportRoundScalarsRequest,
  type ReportRoundScalarsResponse,
} from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { deleteRunKeys, InMemoryRoundStore, RedisRoundStore, RunKeys, type RoundStore } from '@fedkseed/store';
import { SeedImportance, type ScalarGradient } from '@fedkseed/zo';
import { Redis } from 'ioredis';

import { loadConfig } from '../src/config';
import { startSeedProbabilityApp, type SeedProbabilityApp } from '../src/seed-probability-app';
import { metricSample, processExposition, promtoolProblems } from '@fedkseed/testing';
import { SeededRandom } from '@fedkseed/zo';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKIP_REDIS = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';
const kinds = SKIP_REDIS ? ['in-memory'] : ['redis', 'in-memory'];

/** Seeded uniform draws in [0, 1): the project's Philox-based SeededRandom, so every run uses the same data. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

function randomPairs(random: () => number, n: number, k: number): ScalarGradient[] {
  return Array.from({ length: n }, () => ({
    seedIndex: Math.floor(random() * k),
    scalarGrad: Math.fround((random() - 0.5) * 50),
  }));
}

class Caller {
  readonly client: SeedProbabilityServiceClient;
  constructor(
    address: string,
    private readonly token?: string,
  ) {
    this.client = new SeedProbabilityServiceClient(address, credentials.createInsecure());
  }
  private md(): Metadata {
    return this.token ? bearerMetadata(this.token) : new Metadata();
  }
  distribution(round: number, numCandidateSeeds: number): Promise<GetSeedDistributionResponse> {
    return new Promise((resolve, reject) =>
      this.client.getSeedDistribution({ round, numCandidateSeeds }, this.md(), (e, r) => (e ? reject(e) : resolve(r))),
    );
  }
  report(req: ReportRoundScalarsRequest): Promise<ReportRoundScalarsResponse> {
    return new Promise((resolve, reject) =>
      this.client.reportRoundScalars(req, this.md(), (e, r) => (e ? reject(e) : resolve(r))),
    );
  }
}

async function failure(p: Promise<unknown>): Promise<{ code: number; reason?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    const detail = readErrorDetail(err.metadata);
    return { code: err.code, reason: detail && errorReasonToJSON(detail.reason) };
  }
  throw new Error('expected the call to fail');
}

describe('seed-probability config', () => {
  it("reads the run's settings with the aggregator's names and defaults (uniform sampling unless told otherwise)", () => {
    const config = loadConfig({ RUN_ID: 'run-1' });
    expect(config).toMatchObject({
      runId: 'run-1',
      storeRunId: 'run-1.seed-probability',
      numCandidateSeeds: 4096,
      seedSampling: 'uniform',
      importanceClip: 1000,
      importanceGradInitial: 0,
    });
    expect(loadConfig({ RUN_ID: 'run-1', SEED_SAMPLING: 'importance', IMPORTANCE_CLIP: '5' })).toMatchObject({
      seedSampling: 'importance',
      importanceClip: 5,
    });
    expect(() => loadConfig({ RUN_ID: 'run-1', SEED_SAMPLING: 'fedkseed-pro' })).toThrow(
      /SEED_SAMPLING must be one of uniform, importance/,
    );
  });
});

describe.each(kinds)('seed-probability service (%s store)', (kind) => {
  let redis: Redis | undefined;
  const apps: SeedProbabilityApp[] = [];
  const callers: Caller[] = [];
  const runIds: string[] = [];

  beforeAll(async () => {
    if (kind !== 'redis') return;
    redis = new Redis(REDIS_URL, { connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.ping();
    } catch (e) {
      throw new Error(
        `Redis is unreachable at ${REDIS_URL} (${(e as Error).message}). Start one, point REDIS_URL at one, ` +
          'or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip these tests.',
      );
    }
  });
  afterEach(async () => {
    for (const c of callers.splice(0)) c.client.close();
    for (const a of apps.splice(0)) await a.drain();
    for (const runId of runIds.splice(0)) await deleteRunKeys(redis!, new RunKeys(runId));
  });
  afterAll(async () => {
    await redis?.quit();
  });

  async function start(env: Record<string, string> = {}) {
    const config = loadConfig({
      RUN_ID: `t-${process.pid}-${randomBytes(6).toString('hex')}`,
      HOST: 'localhost',
      PORT: '0',
      NUM_CANDIDATE_SEEDS: '4096',
      SEED_SAMPLING: 'importance',
      ...env,
    });
    let store: RoundStore;
    if (kind === 'redis') {
      runIds.push(config.storeRunId);
      store = new RedisRoundStore({ redis: redis!, runId: config.storeRunId });
    } else store = new InMemoryRoundStore();
    const app = await startSeedProbabilityApp(config, { store, logger: silentLogger('seed-probability') });
    apps.push(app);
    const caller = new Caller(app.server.address, env.SERVICE_TOKEN);
    callers.push(caller);
    return { app, caller, store };
  }

  it('serves uniform first, then p = softmax(minmax(psi)) fixed per round; reports count once per round', async () => {
    const { app, caller, store } = await start();
    const K = 4096;
    expect(await caller.distribution(1, K)).toEqual({
      round: 1,
      roundsIncluded: 0,
      distribution: { $case: 'uniform', uniform: {} },
    });
    let exposition = await app.metrics.metrics();
    expect(metricSample(exposition, 'fedkseed_seed_distribution_entropy_nats')).toBeCloseTo(Math.log(K), 12);
    expect(metricSample(exposition, 'fedkseed_seed_distribution_max_probability')).toBeCloseTo(1 / K, 15);
    const random = rng(5);
    const round1 = randomPairs(random, 2000, K);
    expect(await caller.report({ round: 1, numCandidateSeeds: K, scalarGradients: round1 })).toEqual({
      duplicate: false,
      acceptedScalarCount: 2000,
    });
    const before = await store.dump();
    expect(await caller.report({ round: 1, numCandidateSeeds: K, scalarGradients: round1.slice(1) })).toEqual({
      duplicate: true,
      acceptedScalarCount: 0,
    });
    expect(await store.dump()).toBe(before);

    const expected = new SeedImportance(K);
    for (const p of round1) expected.observe(p.seedIndex, p.scalarGrad);
    const second = await caller.distribution(2, K);
    expect(second.roundsIncluded).toBe(1);
    expect(second.distribution?.$case).toBe('importance');
    const p2 = second.distribution?.$case === 'importance' ? second.distribution.importance.probabilities : [];
    expect(Float64Array.from(p2)).toEqual(expected.probabilities());
    expect(p2.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    // The metrics describe the distribution just served: below ln K, its largest probability above 1/K.
    exposition = await app.metrics.metrics();
    expect(metricSample(exposition, 'fedkseed_seed_distribution_entropy_nats')).toBeCloseTo(
      -p2.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0),
      9,
    );
    expect(metricSample(exposition, 'fedkseed_seed_distribution_max_probability')).toBe(Math.max(...p2));
    expect(Math.max(...p2)).toBeGreaterThan(1 / K);
    expect(metricSample(exposition, 'fedkseed_seed_distribution_rounds_included')).toBe(1);
    expect(promtoolProblems(await processExposition(app.metrics))).toBe('');
    // Round 1's answer was fixed by its first call; round 2's is fixed now, even after round 2 is reported.
    expect((await caller.distribution(1, K)).roundsIncluded).toBe(0);
    await caller.report({ round: 2, numCandidateSeeds: K, scalarGradients: randomPairs(random, 500, K) });
    expect(await caller.distribution(2, K)).toEqual(second);
    expect((await caller.distribution(3, K)).roundsIncluded).toBe(2);
  });

  it("keeps each round's answer across a restart of the service (the answer lives in the store)", async () => {
    const K = 4096;
    const first = await start();
    const random = rng(9);
    await first.caller.report({ round: 1, numCandidateSeeds: K, scalarGradients: randomPairs(random, 800, K) });
    const answer = await first.caller.distribution(2, K);
    expect(answer.distribution?.$case).toBe('importance');
    await first.app.drain();
    // More statistics arrive, then a new instance on the same store answers round 2 as the first one did.
    await first.store.recordRoundScalars(2, randomPairs(random, 800, K));
    const config = first.app.config;
    const second = await startSeedProbabilityApp(config, {
      store: first.store,
      logger: silentLogger('seed-probability'),
    });
    apps.push(second);
    const caller = new Caller(second.server.address);
    callers.push(caller);
    expect(await caller.distribution(2, K)).toEqual(answer);
    expect((await caller.distribution(3, K)).roundsIncluded).toBe(2);
  });

  it('refuses invalid requests, recording nothing', async () => {
    const { caller, store } = await start({ NUM_CANDIDATE_SEEDS: '16' });
    const pairs = [
      { seedIndex: 3, scalarGrad: 1 },
      { seedIndex: 15, scalarGrad: -1 },
    ];
    const cases: [ReportRoundScalarsRequest, status, string][] = [
      [
        { round: 0, numCandidateSeeds: 16, scalarGradients: pairs },
        status.INVALID_ARGUMENT,
        'ERROR_REASON_INVALID_FIELD',
      ],
      [
        { round: 1, numCandidateSeeds: 17, scalarGradients: pairs },
        status.FAILED_PRECONDITION,
        'ERROR_REASON_CANDIDATE_SEEDS_MISMATCH',
      ],
      [
        { round: 1, numCandidateSeeds: 16, scalarGradients: [...pairs, { seedIndex: 16, scalarGrad: 1 }] },
        status.INVALID_ARGUMENT,
        'ERROR_REASON_SEED_INDEX_OUT_OF_RANGE',
      ],
      [
        { round: 1, numCandidateSeeds: 16, scalarGradients: [...pairs, { seedIndex: 2, scalarGrad: NaN }] },
        status.INVALID_ARGUMENT,
        'ERROR_REASON_NON_FINITE_SCALAR',
      ],
      [
        { round: 1, numCandidateSeeds: 16, scalarGradients: [...pairs, { seedIndex: 2, scalarGrad: -3e38 }] },
        status.INVALID_ARGUMENT,
        'ERROR_REASON_SCALAR_OUT_OF_RANGE',
      ],
    ];
    for (const [req, code, reason] of cases) {
      const before = await store.dump();
      expect(await failure(caller.report(req))).toEqual({ code, reason });
      expect(await store.dump()).toBe(before);
    }
    expect(await failure(caller.distribution(0, 16))).toEqual({
      code: status.INVALID_ARGUMENT,
      reason: 'ERROR_REASON_INVALID_FIELD',
    });
    expect(await failure(caller.distribution(1, 4096))).toEqual({
      code: status.FAILED_PRECONDITION,
      reason: 'ERROR_REASON_CANDIDATE_SEEDS_MISMATCH',
    });
    // The valid request still counts as the first report of round 1.
    expect((await caller.report({ round: 1, numCandidateSeeds: 16, scalarGradients: pairs })).duplicate).toBe(false);
  });

  it('checks the service token when one is configured, and serves uniform in FedKSeed mode', async () => {
    const token = 'service-token-0123456789';
    const { app, caller } = await start({ SERVICE_TOKEN: token, SEED_SAMPLING: 'uniform', NUM_CANDIDATE_SEEDS: '8' });
    const stranger = new Caller(app.server.address, 'wrong-token-0123456789');
    const anonymous = new Caller(app.server.address);
    callers.push(stranger, anonymous);
    expect(await failure(stranger.distribution(1, 8))).toEqual({
      code: status.UNAUTHENTICATED,
      reason: 'ERROR_REASON_BAD_TOKEN',
    });
    expect(await failure(anonymous.report({ round: 1, numCandidateSeeds: 8, scalarGradients: [] }))).toEqual({
      code: status.UNAUTHENTICATED,
      reason: 'ERROR_REASON_BAD_TOKEN',
    });
    await caller.report({ round: 1, numCandidateSeeds: 8, scalarGradients: [{ seedIndex: 1, scalarGrad: 9 }] });
    expect((await caller.distribution(2, 8)).distribution?.$case).toBe('uniform');
  });

  it('serves the K = 4096 FedKSeed-Pro distribution of the stored statistics after 40 rounds', async () => {
    // How long this takes is measured by bench/seed-distribution-bench.cjs, not asserted here.
    const { app, caller } = await start();
    const K = 4096;
    const random = rng(9);
    // 40 rounds of 10 clients x tau = 200 pairs.
    for (let round = 1; round <= 40; round++)
      await caller.report({ round, numCandidateSeeds: K, scalarGradients: randomPairs(random, 2000, K) });
    const stats = await app.store.getSeedStats();
    const want = SeedImportance.fromState(stats.sums, stats.counts).probabilities();
    const got = await caller.distribution(41, K);
    expect(got.roundsIncluded).toBe(40);
    const probs = got.distribution?.$case === 'importance' ? got.distribution.importance.probabilities : [];
    expect(Float64Array.from(probs)).toEqual(want);
  });
});
