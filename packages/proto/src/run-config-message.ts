/**
 * The one mapping between @fedkseed/zo's `RunConfig` (what every process works with) and the wire's
 * `fedkseed.v1.RunConfig` message. Field names are the same in both (the proto field is the snake_case of the
 * TypeScript one); the enums map by their suffix (`SEED_SAMPLING_IMPORTANCE` <-> 'importance',
 * `AGGREGATION_WEIGHTING_DATA_SIZE` <-> 'data-size').
 */
import {
  resolveRunConfig,
  type AggregationRuleMode,
  type AggregationWeightingMode,
  type RunConfig as RunConfigSettings,
  type SeedSamplingMode,
} from '@fedkseed/zo';

import { AggregationRule, AggregationWeighting, SeedSampling, type RunConfig } from './generated/fedkseed/v1/run';

const SEED_SAMPLING: Readonly<Record<SeedSamplingMode, SeedSampling>> = {
  uniform: SeedSampling.SEED_SAMPLING_UNIFORM,
  importance: SeedSampling.SEED_SAMPLING_IMPORTANCE,
};

const AGGREGATION_WEIGHTING: Readonly<Record<AggregationWeightingMode, AggregationWeighting>> = {
  'data-size': AggregationWeighting.AGGREGATION_WEIGHTING_DATA_SIZE,
  equal: AggregationWeighting.AGGREGATION_WEIGHTING_EQUAL,
};

const AGGREGATION_RULE: Readonly<Record<AggregationRuleMode, AggregationRule>> = {
  mean: AggregationRule.AGGREGATION_RULE_MEAN,
  'trimmed-mean': AggregationRule.AGGREGATION_RULE_TRIMMED_MEAN,
  median: AggregationRule.AGGREGATION_RULE_MEDIAN,
};

/** The RunConfig message every client receives (RegisterClientResponse.run, GetRunStateResponse.run). */
export function runConfigToMessage(config: RunConfigSettings): RunConfig {
  return {
    runId: config.runId,
    numCandidateSeeds: config.numCandidateSeeds,
    runSeed: config.runSeed,
    zoLr: config.zoLr,
    zoEps: config.zoEps,
    numLocalSteps: config.numLocalSteps,
    batchSize: config.batchSize,
    maxSequenceLength: config.maxSequenceLength,
    gradClip: config.gradClip,
    seedSampling: SEED_SAMPLING[config.seedSampling],
    aggregationWeighting: AGGREGATION_WEIGHTING[config.aggregationWeighting],
    baseModelId: config.baseModelId,
    numRounds: config.numRounds,
    allowLossyCatchUp: config.allowLossyCatchUp,
    importanceClip: config.importanceClip,
    importanceGradInitial: config.importanceGradInitial,
    scalarClip: config.scalarClip,
    aggregationRule: AGGREGATION_RULE[config.aggregationRule],
    aggregationTrimFraction: config.aggregationTrimFraction,
  };
}

/**
 * The run configuration a server sent, checked with zo's rules; throws a RangeError (zo's RunConfigError, every
 * problem listed) when a value breaks them or an enum is unset or unknown to this version.
 */
export function runConfigFromMessage(message: RunConfig): RunConfigSettings {
  const { seedSampling, aggregationWeighting, aggregationRule, ...fields } = message;
  return resolveRunConfig({
    ...fields,
    seedSampling: modeOf(SEED_SAMPLING, seedSampling, 'seed_sampling'),
    aggregationWeighting: modeOf(AGGREGATION_WEIGHTING, aggregationWeighting, 'aggregation_weighting'),
    aggregationRule: modeOf(AGGREGATION_RULE, aggregationRule, 'aggregation_rule'),
  });
}

function modeOf<M extends string>(table: Readonly<Record<M, number>>, value: number, field: string): M {
  const mode = (Object.keys(table) as M[]).find((m) => table[m] === value);
  if (mode === undefined) throw new RangeError(`run config: ${field} ${value} is unset or unknown to this version`);
  return mode;
}
