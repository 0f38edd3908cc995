#!/usr/bin/env node
/**
 * Times the FedKSeed-Pro recompute at K = 4096 on the built service (npm run build first): the arithmetic
 * alone (SeedImportance.fromState(...).probabilities()), the handler with its store read (in-memory, and
 * Redis when REDIS_URL or 127.0.0.1:6379 answers), and the whole GetSeedDistribution RPC over loopback
 * gRPC. History: 40 rounds of 10 clients x tau = 200 pairs. Prints one line per measurement.
 *
 *   node services/seed-probability/scripts/bench-distribution.cjs
 */
const { randomBytes } = require('node:crypto');

const { Metadata, credentials } = require('@grpc/grpc-js');
const { SeedProbabilityServiceClient } = require('@fedkseed/proto');
const { silentLogger } = require('@fedkseed/process-kit');
const { deleteRunKeys, InMemoryRoundStore, RedisRoundStore, RunKeys } = require('@fedkseed/store');
const { SeedImportance } = require('@fedkseed/zo');
const { Redis } = require('ioredis');

const { loadConfig, startSeedProbabilityApp } = require('@fedkseed/seed-probability');

const K = 4096;

async function timeMs(f, n) {
  for (let i = 0; i < 10; i++) await f(); // warm-up
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return `median ${samples[n >> 1].toFixed(3)} ms, p90 ${samples[Math.floor(n * 0.9)].toFixed(3)} ms (n = ${n})`;
}

async function bench(kind, store) {
  const config = loadConfig({
    RUN_ID: `bench-${randomBytes(4).toString('hex')}`,
    HOST: 'localhost',
    PORT: '0',
    SEED_SAMPLING: 'importance',
  });
  const app = await startSeedProbabilityApp(config, { store, logger: silentLogger() });
  const client = new SeedProbabilityServiceClient(app.server.address, credentials.createInsecure());
  const metadata = new Metadata();
  const call = (method, req) =>
    new Promise((resolve, reject) => client[method](req, metadata, (e, r) => (e ? reject(e) : resolve(r))));
  try {
    for (let round = 1; round <= 40; round++) {
      const scalarGradients = Array.from({ length: 2000 }, () => ({
        seedIndex: Math.floor(Math.random() * K),
        scalarGrad: Math.fround((Math.random() - 0.5) * 50),
      }));
      await call('reportRoundScalars', { round, numCandidateSeeds: K, scalarGradients });
    }
    const stats = await app.store.getSeedStats();
    let round = 100;
    console.log(
      `${kind}: arithmetic       ${await timeMs(async () => SeedImportance.fromState(stats.sums, stats.counts).probabilities(), 500)}`,
    );
    console.log(
      `${kind}: store + arithmetic ${await timeMs(() => app.service.getSeedDistribution({ round: round++, numCandidateSeeds: K }, metadata), 300)}`,
    );
    console.log(
      `${kind}: GetSeedDistribution RPC ${await timeMs(() => call('getSeedDistribution', { round: round++, numCandidateSeeds: K }), 300)}`,
    );
  } finally {
    client.close();
    await app.drain();
  }
  return config;
}

async function main() {
  await bench('in-memory', new InMemoryRoundStore());
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    console.log('redis: unreachable, skipped');
    return;
  }
  const runId = `bench-${randomBytes(4).toString('hex')}.seed-probability`;
  try {
    await bench('redis', new RedisRoundStore({ redis, runId }));
  } finally {
    await deleteRunKeys(redis, new RunKeys(runId));
    await redis.quit();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
