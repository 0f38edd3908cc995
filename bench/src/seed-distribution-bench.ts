/**
 * Times the FedKSeed-Pro recompute at K = 4096 on the built service (npm run build first): the arithmetic
 * alone (SeedImportance.fromState(...).probabilities()), the handler with its store read (in-memory, and
 * Redis when REDIS_URL or 127.0.0.1:6379 answers), and the whole GetSeedDistribution RPC over loopback
 * gRPC. History: 40 rounds of 10 clients x tau = 200 pairs. Prints one line per measurement.
 *
 *   node bench/seed-distribution-bench.cjs
 */
import { randomBytes } from 'node:crypto';

import { Metadata, credentials } from '@grpc/grpc-js';
import { SeedProbabilityServiceClient } from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { loadConfig, startSeedProbabilityApp } from '@fedkseed/seed-probability';
import { deleteRunKeys, InMemoryRoundStore, RedisRoundStore, RunKeys, type RoundStore } from '@fedkseed/store';
import { SeedImportance } from '@fedkseed/zo';
import { Redis } from 'ioredis';

import { unary } from './lib/grpc-unary';
import { runMain } from './lib/run-main';
import { percentile } from './lib/statistics';

const K = 4096;

/** Median and p90 of `n` timed calls after 10 warm-ups. */
async function timeMs(f: () => unknown, n: number): Promise<string> {
  for (let i = 0; i < 10; i++) await f();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return `median ${percentile(samples, 50).toFixed(3)} ms, p90 ${percentile(samples, 90).toFixed(3)} ms (n = ${n})`;
}

async function bench(kind: string, store: RoundStore): Promise<void> {
  const config = loadConfig({
    RUN_ID: `bench-${randomBytes(4).toString('hex')}`,
    HOST: 'localhost',
    PORT: '0',
    SEED_SAMPLING: 'importance',
  });
  const app = await startSeedProbabilityApp(config, { store, logger: silentLogger() });
  const client = new SeedProbabilityServiceClient(app.server.address, credentials.createInsecure());
  const metadata = new Metadata();
  try {
    for (let round = 1; round <= 40; round++) {
      const scalarGradients = Array.from({ length: 2000 }, () => ({
        seedIndex: Math.floor(Math.random() * K),
        scalarGrad: Math.fround((Math.random() - 0.5) * 50),
      }));
      await unary(client.reportRoundScalars.bind(client), { round, numCandidateSeeds: K, scalarGradients }, metadata);
    }
    const stats = await app.store.getSeedStats();
    let round = 100;
    console.log(
      `${kind}: arithmetic       ${await timeMs(() => SeedImportance.fromState(stats.sums, stats.counts).probabilities(), 500)}`,
    );
    console.log(
      `${kind}: store + arithmetic ${await timeMs(() => app.service.getSeedDistribution({ round: round++, numCandidateSeeds: K }, metadata), 300)}`,
    );
    console.log(
      `${kind}: GetSeedDistribution RPC ${await timeMs(() => unary(client.getSeedDistribution.bind(client), { round: round++, numCandidateSeeds: K }, metadata), 300)}`,
    );
  } finally {
    client.close();
    await app.drain();
  }
}

async function main(): Promise<void> {
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

runMain(main);
