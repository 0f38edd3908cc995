import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  RUN_CONFIG_DEFAULTS,
  RUN_CONFIG_FIELD_NAMES,
  RunConfigError,
  resolveRunConfig,
  type RunConfig,
  type RunConfigField,
} from './run-config';

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('resolveRunConfig', () => {
  it("fills every default and keeps the run's identity", () => {
    const config = resolveRunConfig({ runId: 'r-1', runSeed: 2n ** 64n - 1n });
    expect(config).toEqual({ runId: 'r-1', runSeed: 2n ** 64n - 1n, ...RUN_CONFIG_DEFAULTS });
    expect(Object.keys(config)).toEqual(RUN_CONFIG_FIELD_NAMES);
    expect(RUN_CONFIG_DEFAULTS).toMatchObject({
      numCandidateSeeds: 4096,
      numLocalSteps: 200,
      zoEps: 5e-4,
      zoLr: 3e-7,
      seedSampling: 'uniform',
      importanceClip: 1000,
    });
  });

  it('keeps what is set, lets undefined take the default, and drops fields it does not know', () => {
    const input = { runId: 'r-1', runSeed: 1n, zoLr: 1e-5, numRounds: undefined, createdAtMs: 5 };
    const config = resolveRunConfig(input);
    expect(config.zoLr).toBe(1e-5);
    expect(config.numRounds).toBe(0);
    expect('createdAtMs' in config).toBe(false);
  });

  it('lists every problem in one RunConfigError', () => {
    let error: unknown;
    try {
      resolveRunConfig({
        runId: 'bad{id}',
        runSeed: -1n,
        numCandidateSeeds: 0,
        numLocalSteps: 2.5,
        zoEps: 0,
        zoLr: Infinity,
        gradClip: -1,
        seedSampling: 'fedkseed-pro' as RunConfig['seedSampling'],
        aggregationWeighting: 'random' as RunConfig['aggregationWeighting'],
        baseModelId: 'x'.repeat(257),
        allowLossyCatchUp: 'yes' as unknown as boolean,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunConfigError);
    expect(error).toBeInstanceOf(RangeError);
    const fields = (error as RunConfigError).problems.map((p) => p.split(' ')[0]);
    expect(fields).toEqual([
      'runId',
      'runSeed',
      'numCandidateSeeds',
      'numLocalSteps',
      'zoEps',
      'zoLr',
      'gradClip',
      'seedSampling',
      'aggregationWeighting',
      'baseModelId',
      'allowLossyCatchUp',
    ]);
  });
});

describe('docs/run-config.md', () => {
  // The vocabulary table others build on (the CLI's flags among them) must be the code's, row for row.
  it('lists every field in order with its proto field, environment variable, CLI flag and default', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../../docs/run-config.md'), 'utf8');
    const rows = text
      .split('\n')
      .filter((line) => /^\| [^|]+\| `[a-z][A-Za-z]*` +\|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim().replace(/^`|`$/g, '')));
    const fields = rows.map((cells) => cells[2]);
    expect(fields).toEqual(RUN_CONFIG_FIELD_NAMES);
    for (const cells of rows) {
      const field = cells[2] as RunConfigField;
      expect([field, cells[3], cells[4], cells[5]]).toEqual([
        field,
        snake(field),
        snake(field).toUpperCase(),
        `--${snake(field).replace(/_/g, '-')}`,
      ]);
      const fallback = (RUN_CONFIG_DEFAULTS as Partial<RunConfig>)[field];
      const text = cells[6] === '""' ? '' : cells[6];
      const documented =
        text === 'required'
          ? undefined
          : typeof fallback === 'number'
            ? Number(text)
            : text === 'true'
              ? true
              : text === 'false'
                ? false
                : text;
      expect([field, documented]).toEqual([field, fallback]);
    }
  });
});
