/** The RunConfig message every client receives (registration, GetRunState), from the aggregator's settings. */
import { AggregationWeighting, SeedSampling, type RunConfig } from '@fedkseed/proto';

import type { RunSettings } from './config';

export function runConfigMessage(run: RunSettings): RunConfig {
  return {
    runId: run.runId,
    numCandidateSeeds: run.numCandidateSeeds,
    runSeed: run.runSeed,
    lr: run.zoLr,
    eps: run.zoEps,
    localSteps: run.numLocalSteps,
    batchSize: run.batchSize,
    maxSequenceLength: run.maxSequenceLength,
    gradClip: run.gradClip,
    seedSampling:
      run.mode === 'fedkseed-pro' ? SeedSampling.SEED_SAMPLING_IMPORTANCE : SeedSampling.SEED_SAMPLING_UNIFORM,
    aggregationWeighting:
      run.weighting === 'equal'
        ? AggregationWeighting.AGGREGATION_WEIGHTING_EQUAL
        : AggregationWeighting.AGGREGATION_WEIGHTING_DATA_SIZE,
    baseModelId: run.baseModelId,
    totalRounds: run.numRounds,
    allowLossyCatchUp: run.allowLossyCatchUp,
  };
}
