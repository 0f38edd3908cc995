/** Bad input to the `fedkseed` command: every problem in one message, the path named, a documented exit code. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ExitCode } from '../src';
import { runCli, tempDirs } from './helpers';

const temp = tempDirs();

describe('fedkseed bad input', () => {
  it('simulate lists every bad flag at once and exits 2', async () => {
    const run = await runCli(
      'simulate',
      '--num-clients',
      'ten',
      '--zo-lr',
      '-1',
      '--seed-sampling',
      'fedavg',
      '--bogus',
      '--model',
      '/no/such/model',
    );
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toContain('5 problems');
    expect(run.stderr).toContain("--num-clients must be an integer, got 'ten'");
    expect(run.stderr).toContain('--zo-lr: must be a finite number > 0, got -1');
    expect(run.stderr).toContain('--seed-sampling: must be one of uniform, importance, got "fedavg"');
    expect(run.stderr).toContain('unknown flag --bogus');
    expect(run.stderr).toContain('--model: /no/such/model does not exist');
    expect(run.stdout).toBe('');
  });

  it('simulate refuses more clients per round than clients', async () => {
    const run = await runCli('simulate', '--num-clients', '3', '--clients-per-round', '4');
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toContain('--clients-per-round (4) exceeds --num-clients (3)');
  });

  it('a model folder without config.json is named', async () => {
    const dir = temp.make('empty');
    const run = await runCli('simulate', '--model', dir);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toContain(`--model: ${dir} has no config.json`);
  });

  it('export needs exactly one source and says what is missing', async () => {
    const out = join(temp.make('out'), 'tuned');
    const neither = await runCli('export', '--out', out);
    expect(neither.code).toBe(ExitCode.USAGE);
    expect(neither.stderr).toContain('give exactly one of --report PATH or --aggregator ADDRESS');
    const remote = await runCli('export', '--out', out, '--aggregator', 'localhost:1');
    expect(remote.code).toBe(ExitCode.USAGE);
    expect(remote.stderr).toContain('--aggregator needs --operator-token');
    expect(remote.stderr).toContain('--aggregator needs --model');
  });

  it('export names a report that is not one, with exit code 3', async () => {
    const dir = temp.make('bad-report');
    const notJson = join(dir, 'report.json');
    writeFileSync(notJson, 'not json');
    const run = await runCli('export', '--out', join(dir, 'out'), '--report', notJson);
    expect(run.code).toBe(ExitCode.INPUT);
    expect(run.stderr).toContain(`${notJson} is not a JSON report`);

    const wrong = join(dir, 'wrong.json');
    writeFileSync(
      wrong,
      JSON.stringify({ schema: 'x', numCandidateSeeds: 4, zoLr: 1, runSeed: 'abc', accumulated: [1] }),
    );
    const bad = await runCli('export', '--out', join(dir, 'out'), '--report', wrong);
    expect(bad.code).toBe(ExitCode.INPUT);
    expect(bad.stderr).toContain('runSeed must be a decimal string');
    expect(bad.stderr).toContain('accumulated must hold numCandidateSeeds finite numbers');
    expect(bad.stderr).toContain('baseModelDir is missing');
  });

  it('data inspect names a missing file; a malformed line is named with its line number', async () => {
    const missing = await runCli('data', 'inspect', '/no/such/data.jsonl');
    expect(missing.code).toBe(ExitCode.USAGE);
    expect(missing.stderr).toContain('/no/such/data.jsonl does not exist');

    const file = join(temp.make('data'), 'bad.jsonl');
    writeFileSync(file, '{"instruction": "a", "context": "", "response": "b", "category": "open_qa"}\nnot json\n');
    const malformed = await runCli('data', 'inspect', file);
    expect(malformed.code).toBe(ExitCode.INPUT);
    expect(malformed.stderr).toContain(`${file}:2`);
  });

  it('client reports each missing flag at once', async () => {
    const saved = process.env.FEDKSEED_JOIN_SECRET;
    delete process.env.FEDKSEED_JOIN_SECRET;
    try {
      const run = await runCli('client', '--sync', 'sometimes');
      expect(run.code).toBe(ExitCode.USAGE);
      for (const problem of [
        '--aggregator is required',
        '--model is required',
        '--data is required',
        '--join-secret (or FEDKSEED_JOIN_SECRET) is required',
        "--sync must be one of catch-up, exact, got 'sometimes'",
      ])
        expect(run.stderr).toContain(problem);
    } finally {
      if (saved !== undefined) process.env.FEDKSEED_JOIN_SECRET = saved;
    }
  });
});
