import { RUN_CONFIG_DEFAULTS } from '@fedkseed/zo';

import { EnvReader, type ConfigError } from './config';
import { readRunConfigEnv, runConfigEnvVar } from './run-config-env';

describe('readRunConfigEnv', () => {
  it('names each variable the UPPER_SNAKE_CASE of its field', () => {
    expect(runConfigEnvVar('numCandidateSeeds')).toBe('NUM_CANDIDATE_SEEDS');
    expect(runConfigEnvVar('zoEps')).toBe('ZO_EPS');
    expect(runConfigEnvVar('allowLossyCatchUp')).toBe('ALLOW_LOSSY_CATCH_UP');
    expect(runConfigEnvVar('runId')).toBe('RUN_ID');
  });

  it("reads the run's identity and fills every other field with zo's default", () => {
    const e = new EnvReader({ RUN_ID: 'run-1', RUN_SEED: '0xffffffffffffffff' });
    const config = readRunConfigEnv(e);
    e.finish();
    expect(config).toEqual({ runId: 'run-1', runSeed: 2n ** 64n - 1n, ...RUN_CONFIG_DEFAULTS });
  });

  it('reads every field set, and only the fields asked for', () => {
    const env = {
      RUN_ID: 'run-2',
      RUN_SEED: '7',
      NUM_CANDIDATE_SEEDS: '64',
      NUM_LOCAL_STEPS: '8',
      ZO_EPS: '1e-3',
      ZO_LR: '1e-5',
      BATCH_SIZE: '2',
      MAX_SEQUENCE_LENGTH: '256',
      GRAD_CLIP: '50',
      SEED_SAMPLING: 'importance',
      AGGREGATION_WEIGHTING: 'equal',
      IMPORTANCE_CLIP: '10',
      IMPORTANCE_GRAD_INITIAL: '-0.5',
      BASE_MODEL_ID: 'tiny@main',
      NUM_ROUNDS: '9',
      ALLOW_LOSSY_CATCH_UP: 'false',
      SCALAR_CLIP: '0',
      AGGREGATION_RULE: 'median',
      AGGREGATION_TRIM_FRACTION: '0.25',
    };
    const e = new EnvReader(env);
    expect(readRunConfigEnv(e)).toEqual({
      runId: 'run-2',
      runSeed: 7n,
      numCandidateSeeds: 64,
      numLocalSteps: 8,
      zoEps: 1e-3,
      zoLr: 1e-5,
      batchSize: 2,
      maxSequenceLength: 256,
      gradClip: 50,
      seedSampling: 'importance',
      aggregationWeighting: 'equal',
      importanceClip: 10,
      importanceGradInitial: -0.5,
      baseModelId: 'tiny@main',
      numRounds: 9,
      allowLossyCatchUp: false,
      scalarClip: 0,
      aggregationRule: 'median',
      aggregationTrimFraction: 0.25,
    });
    expect(readRunConfigEnv(new EnvReader(env), ['numCandidateSeeds', 'seedSampling'])).toEqual({
      numCandidateSeeds: 64,
      seedSampling: 'importance',
    });
    e.finish();
  });

  it("reports every problem with zo's rules", () => {
    const e = new EnvReader({
      RUN_ID: 'has spaces',
      NUM_CANDIDATE_SEEDS: '0',
      ZO_EPS: '0',
      GRAD_CLIP: '-1',
      SEED_SAMPLING: 'fedkseed-pro',
      ALLOW_LOSSY_CATCH_UP: 'maybe',
    });
    readRunConfigEnv(e);
    let problems: readonly string[] = [];
    try {
      e.finish();
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^RUN_ID must match /),
      'RUN_SEED is required',
      'NUM_CANDIDATE_SEEDS must be >= 1, got 0',
      'ZO_EPS must be > 0, got 0',
      'GRAD_CLIP must be >= 0, got -1',
      'SEED_SAMPLING must be one of uniform, importance, got "fedkseed-pro"',
      'ALLOW_LOSSY_CATCH_UP must be true or false, got "maybe"',
    ]);
  });
});
