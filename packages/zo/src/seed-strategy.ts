/**
 * How a FedKSeed run chooses the seed index of each local step: the one thing FedKSeed and FedKSeed-Pro do
 * differently (Qin et al., ICML 2024, sections 3.2 and 3.3). A run chooses its strategy once, from
 * `RunConfig.seedSampling` (`createSeedStrategy`), and every party asks it instead of testing the mode: Flower's
 * shape, an interface with one file per algorithm (uniform-seed-strategy.ts, importance-seed-strategy.ts). Every
 * method is pure; the server keeps the importance statistics and the rounds' sampling seeds and passes them in.
 */
import { ImportanceSeedStrategy } from './importance-seed-strategy';
import type { RunConfig, SeedSamplingMode } from './run-config';
import { AssignedSeeds, type SeedSource } from './seed-source';
import { SeedSampler } from './seed-sampler';
import { UniformSeedStrategy } from './uniform-seed-strategy';

/** The run settings a strategy reads. */
export type SeedStrategyConfig = Pick<
  RunConfig,
  'seedSampling' | 'numCandidateSeeds' | 'numLocalSteps' | 'importanceClip' | 'importanceGradInitial'
>;

/** What a round fixes about seeds when it opens (and the store keeps with it). */
export interface RoundSampling {
  /** The round's uint64 sampling seed (`roundSamplingSeed`, docs/derivations.md section 2). */
  samplingSeed: bigint;
  /** The distribution the round samples from; uniform when absent. */
  probabilities?: Float64Array;
}

/** What one client's task says about seeds (the proto's SeedDistribution). */
export interface TaskSeeds {
  /** The client's sampling seed in the round (`clientSamplingSeed`, docs/derivations.md section 3). */
  samplingSeed: bigint;
  /** The seed index of each of the tau local steps when the server drew them; absent: the client draws them. */
  assignedSeedIndices?: number[];
  /** The distribution the client draws from when it draws (no strategy sends one yet); uniform when absent. */
  probabilities?: Float64Array;
}

/** The seed-importance statistics as the server keeps them: running sums and counts of |clip(g)| per seed. */
export interface SeedImportanceState {
  /** Rounds whose scalars the sums and counts include. */
  roundsRecorded: number;
  sums: Float64Array;
  counts: Float64Array;
}

export interface SeedStrategy {
  /** The RunConfig value that chose this strategy. */
  readonly seedSampling: SeedSamplingMode;
  /**
   * Whether rounds sample from seed importance, which the server must then keep: every closed round's scalars
   * are added to the statistics, and a round's distribution is taken from them when it opens.
   */
  readonly usesImportance: boolean;
  /** Whether the server draws each client's seed indices (the task's assigned seeds), so an upload must use them. */
  readonly assignsSeeds: boolean;
  /** The distribution the next round samples from, given the statistics so far; undefined: uniform. */
  roundDistribution(statistics: SeedImportanceState | undefined): Float64Array | undefined;
  /** What client `clientId`'s task in a round says about seeds. */
  taskSeeds(round: RoundSampling, clientId: string): TaskSeeds;
}

/** The run's strategy: uniform seeds (FedKSeed) or importance-weighted, assigned ones (FedKSeed-Pro). */
export function createSeedStrategy(config: SeedStrategyConfig): SeedStrategy {
  switch (config.seedSampling) {
    case 'uniform':
      return new UniformSeedStrategy(config);
    case 'importance':
      return new ImportanceSeedStrategy(config);
    default:
      throw new RangeError(`createSeedStrategy: unknown seed sampling ${JSON.stringify(config.seedSampling)}`);
  }
}

/**
 * Where a client's local training takes the seed index of each step from, as its task says: the assigned list
 * walked in order, or draws of `SeedSampler` under the task's sampling seed (docs/derivations.md section 4).
 */
export function taskSeedSource(task: TaskSeeds, numCandidateSeeds: number): SeedSource {
  if (task.assignedSeedIndices) return new AssignedSeeds(task.assignedSeedIndices, { numCandidateSeeds });
  return new SeedSampler({ numCandidateSeeds, samplingSeed: task.samplingSeed, probabilities: task.probabilities });
}
