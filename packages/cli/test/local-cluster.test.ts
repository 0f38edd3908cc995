/**
 * `fedkseed local-cluster`: the federation as separate processes (the built services: aggregator, two workers on
 * BullMQ, a device client through the `client` command) on the test Redis, to the end of the run; every process
 * is stopped afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { selectBackend } from '@fedkseed/models';

import { ExitCode } from '../src';
import { tempDirs, writeTinyModel } from './helpers';

const temp = tempDirs();
const itRedis = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1' ? it.skip : it;
const MAIN = join(__dirname, '..', 'dist', 'main.js');

describe('fedkseed local-cluster', () => {
  itRedis(
    'runs aggregator, workers and a device client as processes until the run is done',
    async () => {
      if (!existsSync(MAIN))
        throw new Error('packages/cli/dist is missing: npm run build first (it runs the built code)');
      await selectBackend('cpu');
      const model = temp.make('model');
      await writeTinyModel(model);
      const out = temp.make('logs');
      // The command itself runs as a process too, as `npm run cluster:local` runs it.
      const args = [
        MAIN,
        'local-cluster',
        '--model',
        model,
        '--num-clients',
        '4',
        '--num-rounds',
        '2',
        '--num-local-steps',
        '3',
        '--num-candidate-seeds',
        '64',
        '--max-sequence-length',
        '512',
        '--redis',
        process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        '--out',
        out,
      ];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(ExitCode.OK);
      expect(run.stdout).toMatch(/device: the run is done; the model stands at version 2/);
      expect(run.stdout).toMatch(/finished at version 2: \d+ of 64 seeds moved/);
      expect(run.stdout).toMatch(/stopped: aggregator \(0\), worker-0 \(0\), worker-1 \(0\), device \(0\)/);
      const jobs = ['worker-0', 'worker-1'].flatMap((w) =>
        readFileSync(join(out, `${w}.log`), 'utf8')
          .split('\n')
          .filter((line) => line.includes('"msg":"job trained"')),
      );
      expect(jobs.length).toBeGreaterThan(0); // queue-fed clients trained through BullMQ
    },
    150_000,
  );
});
