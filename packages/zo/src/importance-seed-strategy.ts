/**
 * FedKSeed-Pro (Qin et al., "Federated Full-Parameter Tuning of Billion-Sized Language Models with Communication
 * Cost under 18 Kilobytes", ICML 2024, section 3.3, Eq. 5-6): seeds are drawn from p = softmax(minmax(psi)),
 * psi_i the mean |clip(g)| of seed i over every scalar gradient received, so seeds that moved the loss more are
 * tried more often. The server draws each client's tau seed indices from the round's p (fixed when the round
 * opens) and sends them as the task's assigned seeds: 400 bytes instead of K probabilities.
 */
import { assignedSeedIndices, clientSamplingSeed } from './sampling-seeds';
import { SeedImportance } from './seed-importance';
import type { RoundSampling, SeedImportanceState, SeedStrategy, SeedStrategyConfig, TaskSeeds } from './seed-strategy';

export class ImportanceSeedStrategy implements SeedStrategy {
  readonly seedSampling = 'importance' as const;
  readonly usesImportance = true;
  readonly assignsSeeds = true;

  constructor(readonly config: SeedStrategyConfig) {}

  /** softmax(minmax(psi)) of the statistics; undefined (uniform) before any round or while every psi is equal. */
  roundDistribution(statistics: SeedImportanceState | undefined): Float64Array | undefined {
    if (!statistics || statistics.roundsRecorded === 0) return undefined;
    return SeedImportance.fromState(statistics.sums, statistics.counts, {
      clip: this.config.importanceClip,
      gradInitial: this.config.importanceGradInitial,
    }).distribution();
  }

  taskSeeds(round: RoundSampling, clientId: string): TaskSeeds {
    const samplingSeed = clientSamplingSeed(round.samplingSeed, clientId);
    const assigned = assignedSeedIndices({
      numCandidateSeeds: this.config.numCandidateSeeds,
      numLocalSteps: this.config.numLocalSteps,
      samplingSeed,
      probabilities: round.probabilities,
    });
    return { samplingSeed, assignedSeedIndices: assigned };
  }
}
