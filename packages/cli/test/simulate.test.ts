/**
 * `fedkseed simulate` end to end on a tiny random model: the report holds what the docs promise, the run is
 * reproducible bit for bit from its seeds, and the CLI writes the report and the loss curve.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { selectBackend } from '@fedkseed/models';
import { RunKeys, deleteRunKeys } from '@fedkseed/store';
import { Redis } from 'ioredis';

import { DEFAULT_SIMULATION, ExitCode, runSimulation, type SimulateReport, type SimulationSettings } from '../src';
import { runCli, tempDirs, writeTinyModel } from './helpers';

const temp = tempDirs();
let modelDir: string;

const tiny = (): SimulationSettings => ({
  ...DEFAULT_SIMULATION,
  run: {
    ...DEFAULT_SIMULATION.run,
    numRounds: 2,
    numCandidateSeeds: 64,
    numLocalSteps: 4,
    zoLr: 1e-3,
    maxSequenceLength: 512,
  },
  modelDir,
  numClients: 4,
  clientsPerRound: 2,
  minPerClient: 5,
  numEvalExamples: 6,
  numGenerations: 2,
  maxNewTokens: 3,
});

const itRedis = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1' ? it.skip : it;

describe('fedkseed simulate', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    modelDir = temp.make('model');
    await writeTinyModel(modelDir);
  });

  it('runs rounds, measures them, and gives the same A for the same seeds', async () => {
    const rounds: number[] = [];
    const first = await runSimulation(tiny(), { onRoundEnd: (r) => rounds.push(r.round) });
    expect(rounds).toEqual([0, 1, 2]);
    expect(first.rounds.map((r) => r.participants.length)).toEqual([0, 2, 2]);
    for (const r of first.rounds.slice(1)) {
      expect(Number.isFinite(r.heldOutLoss)).toBe(true);
      expect(r.seconds).toBeGreaterThan(0);
      // Everything on the wire for a client-round of tau = 4 pairs: a few hundred bytes to a few KiB.
      expect(r.bytesPerClientRound).toBeGreaterThan(100);
      expect(r.bytesPerClientRound).toBeLessThan(8192);
    }
    const moved = first.accumulated.filter((a) => a !== 0).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(2 * 2 * 4); // rounds x clients x tau
    expect(first.generationsStart).toHaveLength(2);
    expect(first.generationsEnd).toHaveLength(2);

    const again = await runSimulation(tiny());
    expect(Buffer.from(again.accumulated.buffer).equals(Buffer.from(first.accumulated.buffer))).toBe(true);
    expect(again.rounds.map((r) => r.heldOutLoss)).toEqual(first.rounds.map((r) => r.heldOutLoss));
  }, 180_000); // two whole federations: about 10 s on an idle machine, past 60 s on a loaded one

  it('FedKSeed-Pro runs through the seed-probability service', async () => {
    const settings = tiny();
    const pro = await runSimulation({ ...settings, run: { ...settings.run, seedSampling: 'importance' } });
    expect(pro.rounds).toHaveLength(3);
    expect(pro.accumulated.some((a) => a !== 0)).toBe(true);
  });

  itRedis('with --redis the same run goes through Redis and BullMQ and gives the same A', async () => {
    const runId = `sim-redis-${process.pid}-${Date.now().toString(36)}`;
    const settings = tiny();
    settings.run = { ...settings.run, runId, numRounds: 1 };
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const embedded = await runSimulation(settings);
      const distributed = await runSimulation({ ...settings, redisUrl });
      expect(Buffer.from(distributed.accumulated.buffer).equals(Buffer.from(embedded.accumulated.buffer))).toBe(true);
      expect(await redis.exists(new RunKeys(runId).run)).toBe(1); // the round state lived in Redis
    } finally {
      await deleteRunKeys(redis, new RunKeys(runId));
      await redis.quit();
    }
  });

  it('the command writes a report with the documented fields and a loss curve, and names them', async () => {
    const out = temp.make('run');
    const run = await runCli(
      'simulate',
      '--model',
      modelDir,
      '--num-clients',
      '4',
      '--num-rounds',
      '1',
      '--num-candidate-seeds',
      '32',
      '--num-local-steps',
      '3',
      '--max-sequence-length',
      '512',
      '--num-eval-examples',
      '4',
      '--num-generations',
      '1',
      '--max-new-tokens',
      '2',
      '--out',
      out,
      '--backend',
      'cpu',
      '--no-progress',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(ExitCode.OK);
    const reportPath = join(out, 'report.json');
    const plotPath = join(out, 'loss.svg');
    expect(run.stdout.trim().split('\n').slice(-2)).toEqual([`report: ${reportPath}`, `loss curve: ${plotPath}`]);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as SimulateReport;
    expect(report.runSeed).toBe(String(DEFAULT_SIMULATION.run.runSeed));
    expect(report.numCandidateSeeds).toBe(32);
    expect(report.zoLr).toBe(DEFAULT_SIMULATION.run.zoLr);
    expect(report.baseModelDir).toBe(modelDir);
    expect(report.accumulated).toHaveLength(32);
    expect(report.rounds.map((r) => Object.keys(r).sort())).toEqual(
      [0, 1].map(() => ['bytesPerClientRound', 'heldOutLoss', 'meanLocalLoss', 'participants', 'round', 'seconds']),
    );
    const moved = report.accumulated.filter((a) => a !== 0).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(6); // 2 clients x 3 steps
    expect(report.rounds.every((r) => Number.isFinite(r.heldOutLoss))).toBe(true);
    expect(existsSync(plotPath)).toBe(true);
    expect(readFileSync(plotPath, 'utf8')).toMatch(/^<svg[\s\S]*held-out loss[\s\S]*<\/svg>$/);
  });
});
