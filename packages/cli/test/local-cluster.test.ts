/**
 * `fedkseed local-cluster`: the federation as separate processes (the built services: aggregator, the
 * seed-probability service, two workers on BullMQ, a device client through the `client` command) on the test
 * Redis, to the end of the run; every process is stopped afterwards. Its final A must be `fedkseed simulate`'s,
 * bit for bit, for the same run in one process (same run id, seeds, secrets, split; exact sync).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { selectBackend } from '@fedkseed/models';

import { ExitCode } from '../src';
import type { RunStateFile } from '../src/run-state-file';
import { EMBEDDED_JOIN_SECRET, EMBEDDED_TOKEN_SECRET } from '../src/simulate/federation';
import type { SimulateReport } from '../src/simulate/report';
import { tempDirs, writeTinyModel } from './helpers';

const temp = tempDirs();
const itRedis = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1' ? it.skip : it;
const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** The run both sides train: FedKSeed-Pro (so the seed-probability service takes part), exact sync. */
const RUN_FLAGS = [
  '--run-id',
  `lc-${process.pid}`,
  '--run-seed',
  '7',
  '--num-clients',
  '4',
  '--clients-per-round',
  '3',
  '--num-rounds',
  '3',
  '--num-local-steps',
  '3',
  '--num-candidate-seeds',
  '64',
  '--max-sequence-length',
  '512',
  '--seed-sampling',
  'importance',
  '--sync',
  'exact',
];

/** Runs the built `fedkseed` as a process, on the wasm backend (one thread) as the services run. */
function fedkseed(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, FEDKSEED_BACKEND: 'wasm', FEDKSEED_WASM_THREADS: '1', ...env },
  });
}

describe('fedkseed local-cluster', () => {
  itRedis(
    "runs aggregator, seed-probability, workers and a device client as processes and ends on simulate's A",
    async () => {
      if (!existsSync(MAIN))
        throw new Error('packages/cli/dist is missing: npm run build first (it runs the built code)');
      await selectBackend('cpu');
      const model = temp.make('model');
      await writeTinyModel(model);

      const simulated = temp.make('simulate');
      const sim = fedkseed([
        'simulate',
        '--model',
        model,
        ...RUN_FLAGS,
        '--num-eval-examples',
        '1',
        '--num-generations',
        '0',
        '--backend',
        'wasm',
        '--no-progress',
        '--out',
        simulated,
      ]);
      expect(sim.stderr).toBe('');
      expect(sim.status).toBe(ExitCode.OK);
      const report = JSON.parse(readFileSync(join(simulated, 'report.json'), 'utf8')) as SimulateReport;

      const out = temp.make('cluster');
      const run = fedkseed(
        [
          'local-cluster',
          '--model',
          model,
          ...RUN_FLAGS,
          '--redis',
          process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          '--out',
          out,
        ],
        { FEDKSEED_TOKEN_SECRET: EMBEDDED_TOKEN_SECRET, FEDKSEED_JOIN_SECRET: EMBEDDED_JOIN_SECRET },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(ExitCode.OK);
      expect(run.stdout).toMatch(/device: the run is done; the model stands at version 3/);
      // The aggregator bound free ports itself (PORT=0) and told the CLI which through its ADDRESS_FILE.
      const served = JSON.parse(readFileSync(join(out, 'aggregator.address.json'), 'utf8')) as {
        address: string;
        port: number;
        metricsPort: number;
      };
      expect(served.address).toBe(`127.0.0.1:${served.port}`);
      expect(served.metricsPort).toBeGreaterThan(0);
      expect(run.stdout).toContain(`aggregator on ${served.address}`);
      expect(run.stdout).toContain(`aggregator http://127.0.0.1:${served.metricsPort}/metrics`);
      expect(run.stdout).toMatch(/finished at version 3: \d+ of 64 seeds moved/);
      expect(run.stdout).toMatch(
        /stopped: seed-probability \(0\), aggregator \(0\), worker-0 \(0\), worker-1 \(0\), device \(0\)/,
      );
      const logs = (name: string) => readFileSync(join(out, `${name}.log`), 'utf8').split('\n');
      const jobs = ['worker-0', 'worker-1'].flatMap((w) => logs(w).filter((l) => l.includes('"msg":"job trained"')));
      expect(jobs.length).toBeGreaterThan(0); // queue-fed clients trained through BullMQ
      // The device (the split's last client) uploaded in the rounds that selected it in simulate's run. The run
      // id, hence the client ids and the selection, changes from run to run: with 3 of 4 clients per round the
      // device trains in all but about 1 run in 64.
      const deviceRounds = report.rounds.filter((r) => r.participants.includes(3)).map((r) => r.round);
      const uploaded = logs('device').flatMap((l) => /round (\d+): uploaded \d+ pairs/.exec(l)?.[1] ?? []);
      expect([...new Set(uploaded)].map(Number)).toEqual(deviceRounds);

      const state = JSON.parse(readFileSync(join(out, 'run-state.json'), 'utf8')) as RunStateFile;
      expect(state.modelVersion).toBe(3);
      expect(state.accumulated.filter((a) => a !== 0).length).toBeGreaterThan(0);
      // Bit for bit: JSON keeps every float64 exactly (shortest round-trip form).
      expect(state.accumulated).toEqual(report.accumulated);
    },
    330_000,
  );
});
