/**
 * The seed-probability service's own series: how far the distribution it serves is from uniform (FedKSeed-Pro
 * concentrates on the seeds with large scalar gradients). Entropy in nats (ln K when uniform), the largest
 * probability (1/K when uniform), and the rounds of statistics behind it.
 */
import { METRIC_PREFIX } from '@fedkseed/process-kit';
import { Gauge, Registry } from 'prom-client';

export class SeedDistributionMetrics {
  readonly registry = new Registry();
  private readonly entropy = new Gauge({
    name: `${METRIC_PREFIX}seed_distribution_entropy_nats`,
    help: 'Entropy of the seed distribution served last (ln K when uniform).',
    registers: [this.registry],
  });
  private readonly largest = new Gauge({
    name: `${METRIC_PREFIX}seed_distribution_max_probability`,
    help: 'Largest probability of the seed distribution served last (1/K when uniform).',
    registers: [this.registry],
  });
  private readonly rounds = new Gauge({
    name: `${METRIC_PREFIX}seed_distribution_rounds_included`,
    help: 'Rounds of scalar statistics behind the distribution served last.',
    registers: [this.registry],
  });

  /** A distribution computed for a round: `probabilities` absent means uniform over K seeds. */
  onDistribution(probabilities: ArrayLike<number> | undefined, numCandidateSeeds: number, roundsIncluded: number) {
    this.rounds.set(roundsIncluded);
    if (!probabilities) {
      this.entropy.set(Math.log(numCandidateSeeds));
      this.largest.set(1 / numCandidateSeeds);
      return;
    }
    let entropy = 0;
    let max = 0;
    for (let i = 0; i < probabilities.length; i++) {
      const p = probabilities[i];
      if (p > 0) entropy -= p * Math.log(p);
      if (p > max) max = p;
    }
    this.entropy.set(entropy);
    this.largest.set(max);
  }
}
