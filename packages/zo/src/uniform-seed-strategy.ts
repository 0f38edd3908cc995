/**
 * FedKSeed (Qin et al., "Federated Full-Parameter Tuning of Billion-Sized Language Models with Communication
 * Cost under 18 Kilobytes", ICML 2024, section 3.2 and Algorithm 1): every local step draws its seed uniformly
 * from the K candidates. A client draws them itself with `SeedSampler` under its sampling seed, so a task carries
 * only that seed and the server keeps no statistics.
 */
import { clientSamplingSeed } from './sampling-seeds';
import type { RoundSampling, SeedStrategy, SeedStrategyConfig, TaskSeeds } from './seed-strategy';

export class UniformSeedStrategy implements SeedStrategy {
  readonly seedSampling = 'uniform' as const;
  readonly usesImportance = false;
  readonly assignsSeeds = false;

  constructor(readonly config: SeedStrategyConfig) {}

  /** Uniform, whatever any statistics say. */
  roundDistribution(): undefined {
    return undefined;
  }

  taskSeeds(round: RoundSampling, clientId: string): TaskSeeds {
    return { samplingSeed: clientSamplingSeed(round.samplingSeed, clientId) };
  }
}
