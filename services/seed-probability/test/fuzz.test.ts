/**
 * Fuzzing every SeedProbabilityService RPC over real gRPC (issue 11), as the aggregator's fuzz test does: per RPC
 * FEDKSEED_FUZZ_ITERATIONS calls (default and minimum 2000; FEDKSEED_FUZZ_SEED draws other inputs), half mutated
 * bytes of valid requests sent as they are, half well-formed messages with random and extreme field values
 * through the generated client, most with the service token and some with wrong ones. Every call must end OK or
 * with a reason errors.proto sends with that code; a batch of calls that were all refused must leave the store
 * byte-identical (GetSeedDistribution writes only a round's first answer, SEED_DISTRIBUTIONS_KEPT at most); afterwards the service still serves, has logged no
 * failure of its own, and the heap has grown by less than HEAP_GROWTH_LIMIT_BYTES. The first quarter of the
 * ReportRoundScalars calls is refused by construction (a wrong token, or a report its fields make invalid).
 * Reports go first, so that the distributions fuzzed afterwards are computed from the statistics they left.
 */
import { randomBytes } from 'node:crypto';

import { Client, credentials, status } from '@grpc/grpc-js';
import {
  GetSeedDistributionRequest,
  bearerMetadata,
  type GetSeedDistributionResponse,
  ReportRoundScalarsRequest,
  SeedProbabilityServiceClient,
  SeedProbabilityServiceService,
} from '@fedkseed/proto';
import { Logger } from '@fedkseed/process-kit';
import {
  deleteRunKeys,
  InMemoryRoundStore,
  RedisRoundStore,
  RunKeys,
  SEED_DISTRIBUTIONS_KEPT,
  type RoundStore,
} from '@fedkseed/store';
import {
  FuzzRandom,
  bearerMetadataVariant,
  fuzzSettings,
  fuzzedUnaryCall,
  runFuzzBatches,
  ProcessFaultWatch,
  wrongBearerMetadata,
  type FuzzCall,
  type FuzzedRpc,
} from '@fedkseed/testing';
import { Redis } from 'ioredis';

import { loadConfig } from '../src/config';
import { startSeedProbabilityApp, type SeedProbabilityApp } from '../src/seed-probability-app';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKIP_REDIS = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';

const { seed, iterations } = fuzzSettings();
/** Share of the ReportRoundScalars calls that are refused by construction, sent first. */
const REFUSED_SHARE = 0.25;
/** Share of the other calls sent with a wrong token. */
const WRONG_TOKEN_SHARE = 0.15;
/** K of the service under test. */
const K = 64;
const SERVICE_TOKEN = 'fuzz-service-token-0123456789';
/** Generous: a leak of 16 KiB per call over 2 x 2000 calls would exceed it. */
const HEAP_GROWTH_LIMIT_BYTES = 64 * 2 ** 20;
/** Wall time allowed per RPC (a few seconds at the default count on two cores), scaled for longer runs. */
const RPC_TIMEOUT_MS = 30_000 * (iterations / 2000);
/** Field numbers of the requests and of ScalarGradient inside them. */
const FIELD_NUMBERS = [1, 2, 3];

describe('fuzzed requests to every SeedProbabilityService RPC', () => {
  let redis: Redis | undefined;
  let storeRunId: string;
  let app: SeedProbabilityApp;
  let client: SeedProbabilityServiceClient;
  let raw: Client;
  const faults = new ProcessFaultWatch();

  beforeAll(async () => {
    faults.start();
    const config = loadConfig({
      RUN_ID: `t-${process.pid}-${randomBytes(6).toString('hex')}`,
      HOST: 'localhost',
      PORT: '0',
      NUM_CANDIDATE_SEEDS: String(K),
      SEED_SAMPLING: 'importance',
      SERVICE_TOKEN,
    });
    storeRunId = config.storeRunId;
    let store: RoundStore;
    if (SKIP_REDIS) store = new InMemoryRoundStore();
    else {
      redis = new Redis(REDIS_URL, { connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null });
      redis.on('error', () => {});
      await redis.ping().catch((e: Error) => {
        throw new Error(
          `Redis is unreachable at ${REDIS_URL} (${e.message}). Start one, point REDIS_URL at one, ` +
            'or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip these tests.',
        );
      });
      store = new RedisRoundStore({ redis, runId: storeRunId });
    }
    // Warnings and errors only: a refused call logs at debug, a failure of the service's own at error.
    const logger = new Logger({ service: 'seed-probability', level: 'warn', write: faults.write });
    app = await startSeedProbabilityApp(config, { store, logger });
    client = new SeedProbabilityServiceClient(app.server.address, credentials.createInsecure());
    raw = new Client(app.server.address, credentials.createInsecure());
    await faults.markHeap();
  });

  afterAll(async () => {
    faults.stop();
    raw?.close();
    client?.close();
    await app?.drain();
    if (redis) {
      await deleteRunKeys(redis, new RunKeys(storeRunId));
      await redis.quit();
    }
  });

  const snapshot = () => app.store.dump();
  const metadataFor = (random: FuzzRandom) =>
    random.chance(WRONG_TOKEN_SHARE)
      ? wrongBearerMetadata(random, [SERVICE_TOKEN])
      : bearerMetadataVariant(random, SERVICE_TOKEN);

  it(
    'ReportRoundScalars',
    async () => {
      const pairs = (random: FuzzRandom, count: number) =>
        random.list(count, () => ({
          seedIndex: random.chance(0.9) ? random.int(K) : random.uint32(),
          scalarGrad: random.chance(0.8) ? Math.fround(random.normal() * 10) : random.float(),
        }));
      const rpc: FuzzedRpc<ReportRoundScalarsRequest> = {
        path: SeedProbabilityServiceService.reportRoundScalars.path,
        stub: (r, md, o, cb) => client.reportRoundScalars(r, md, o, cb),
        templates: [
          { round: 1, numCandidateSeeds: K, scalarGradients: [{ seedIndex: 3, scalarGrad: 0.5 }] },
          { round: 2, numCandidateSeeds: K, scalarGradients: [] },
          {
            round: 3,
            numCandidateSeeds: K,
            scalarGradients: Array.from({ length: 20 }, (_, j) => ({ seedIndex: (j * 7) % K, scalarGrad: j - 10 })),
          },
        ].map((r) => Buffer.from(ReportRoundScalarsRequest.encode(r).finish())),
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => ({
          round: random.chance(0.6) ? 1 + random.int(100) : random.uint32(),
          numCandidateSeeds: random.chance(0.8) ? K : random.uint32(),
          scalarGradients: pairs(random, random.chance(0.9) ? random.int(30) : random.pick([2000, 50_000])),
        }),
      };
      // Reports that their fields alone make invalid.
      const invalid: FuzzedRpc<ReportRoundScalarsRequest> = {
        ...rpc,
        templates: [],
        structured: (random) => {
          const request = rpc.structured(random);
          const at = random.int(request.scalarGradients.length + 1);
          const broken = (pair: { seedIndex: number; scalarGrad: number }) => [
            ...request.scalarGradients.slice(0, at),
            pair,
            ...request.scalarGradients.slice(at),
          ];
          return [
            { ...request, round: 0 },
            { ...request, numCandidateSeeds: random.chance(0.5) ? K + 1 + random.int(1000) : random.int(K) },
            { ...request, scalarGradients: broken({ seedIndex: K + random.int(2 ** 31), scalarGrad: 1 }) },
            {
              ...request,
              scalarGradients: broken({ seedIndex: 0, scalarGrad: random.pick([NaN, Infinity, -Infinity]) }),
            },
          ][random.int(4)];
        },
      };
      const mustBeRefused = (call: FuzzCall) =>
        call.outcome.code === status.OK ? 'succeeded, but every call of this phase must be refused' : undefined;
      const refusedCount = Math.round(iterations * REFUSED_SHARE);
      const refused = await runFuzzBatches({
        name: 'ReportRoundScalars, refused',
        seed,
        count: refusedCount,
        snapshot,
        check: mustBeRefused,
        call: (i) => {
          const random = new FuzzRandom(seed, 1, i);
          if (random.chance(0.5))
            return fuzzedUnaryCall(raw, invalid, random, bearerMetadataVariant(random, SERVICE_TOKEN));
          return fuzzedUnaryCall(raw, rpc, random, wrongBearerMetadata(random, [SERVICE_TOKEN]));
        },
      });
      const tally = await runFuzzBatches({
        name: 'ReportRoundScalars',
        seed,
        first: refusedCount,
        count: iterations - refusedCount,
        snapshot,
        call: (i) => {
          const random = new FuzzRandom(seed, 1, i);
          return fuzzedUnaryCall(raw, rpc, random, metadataFor(random));
        },
      });
      expect(Object.keys(refused.outcomes)).toEqual(
        expect.arrayContaining([
          'ERROR_REASON_BAD_TOKEN',
          'ERROR_REASON_INVALID_FIELD',
          'ERROR_REASON_CANDIDATE_SEEDS_MISMATCH',
          'ERROR_REASON_SEED_INDEX_OUT_OF_RANGE',
          'ERROR_REASON_NON_FINITE_SCALAR',
        ]),
      );
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining(['OK', 'ERROR_REASON_BAD_TOKEN', 'ERROR_REASON_MALFORMED_REQUEST']),
      );
    },
    RPC_TIMEOUT_MS,
  );

  it(
    'GetSeedDistribution',
    async () => {
      const rpc: FuzzedRpc<GetSeedDistributionRequest> = {
        path: SeedProbabilityServiceService.getSeedDistribution.path,
        stub: (r, md, o, cb) => client.getSeedDistribution(r, md, o, cb),
        templates: [
          { round: 1, numCandidateSeeds: K },
          { round: 7, numCandidateSeeds: K },
          { round: 0xffffffff, numCandidateSeeds: K },
        ].map((r) => Buffer.from(GetSeedDistributionRequest.encode(r).finish())),
        fieldNumbers: FIELD_NUMBERS,
        structured: (random) => ({
          round: random.chance(0.5) ? random.int(200) : random.uint32(),
          numCandidateSeeds: random.chance(0.7) ? K : random.uint32(),
        }),
      };
      const tally = await runFuzzBatches({
        name: 'GetSeedDistribution',
        seed,
        count: iterations,
        snapshot,
        call: (i) => {
          const random = new FuzzRandom(seed, 0, i);
          return fuzzedUnaryCall(raw, rpc, random, metadataFor(random));
        },
      });
      expect(Object.keys(tally.outcomes)).toEqual(
        expect.arrayContaining([
          'OK',
          'ERROR_REASON_BAD_TOKEN',
          'ERROR_REASON_INVALID_FIELD',
          'ERROR_REASON_CANDIDATE_SEEDS_MISMATCH',
          'ERROR_REASON_MALFORMED_REQUEST',
        ]),
      );
    },
    RPC_TIMEOUT_MS,
  );

  it('still serves afterwards, has logged no failure of its own, and its heap stayed bounded', async () => {
    // The reports accepted fed the statistics, which stayed finite; every answer since is importance-weighted.
    const stats = await app.store.getSeedStats();
    expect(stats.roundsRecorded).toBeGreaterThan(0);
    expect([...stats.sums, ...stats.counts].every(Number.isFinite)).toBe(true);
    const next = await new Promise<GetSeedDistributionResponse>((resolve, reject) =>
      client.getSeedDistribution({ round: 1, numCandidateSeeds: K }, bearerMetadata(SERVICE_TOKEN), (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    const probabilities = next.distribution?.$case === 'importance' ? next.distribution.importance.probabilities : [];
    expect(probabilities).toHaveLength(K);
    expect(probabilities.every((p) => Number.isFinite(p) && p > 0)).toBe(true);
    expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 12);
    // However many rounds were asked, the store keeps at most SEED_DISTRIBUTIONS_KEPT answers.
    const kept = (JSON.parse(await app.store.dump()) as { seedDistributions: unknown[] }).seedDistributions;
    expect(kept.length).toBeGreaterThan(1);
    expect(kept.length).toBeLessThanOrEqual(SEED_DISTRIBUTIONS_KEPT);
    expect(faults.crashes).toEqual([]);
    expect(faults.problemLogs).toEqual([]);
    expect(await faults.heapGrowthBytes()).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
  });
});
