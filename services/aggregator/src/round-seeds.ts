/**
 * What a task says about seeds: the round's sampling seed and, for FedKSeed-Pro, the seed indices assigned to
 * the client (drawn from the round's probabilities). A round's seeds never change once it is opened, so a
 * replica reads them once per round and keeps the last few.
 */
import type { SeedDistribution } from '@fedkseed/proto';
import type { RoundInfo, RoundStore } from '@fedkseed/store';
import { assignedSeedIndices, clientSamplingSeed, type RunConfig } from '@fedkseed/zo';

/** What never changes about a round once it is opened: all the seed assignment needs. */
export type RoundSeeds = Pick<RoundInfo, 'round' | 'samplingSeed' | 'probabilities'>;

/** Rounds whose immutable data (seed, probabilities) a replica keeps cached. */
const ROUND_CACHE_SIZE = 4;

export class RoundSeedsCache {
  /** By store round; a request in flight is shared, a failed one forgotten. */
  private readonly byRound = new Map<number, Promise<RoundSeeds>>();

  constructor(private readonly store: RoundStore) {}

  /** The round's seeds; rejects if the round is not in the store. */
  get(round: number): Promise<RoundSeeds> {
    let seeds = this.byRound.get(round);
    if (!seeds) {
      seeds = this.store.getRound(round).then((info) => {
        if (!info) throw new Error(`round ${round} is not in the store`);
        const { samplingSeed, probabilities } = info;
        return { round, samplingSeed, ...(probabilities ? { probabilities } : {}) };
      });
      this.byRound.set(round, seeds);
      seeds.catch(() => {
        if (this.byRound.get(round) === seeds) this.byRound.delete(round);
      });
      while (this.byRound.size > ROUND_CACHE_SIZE) this.byRound.delete(Math.min(...this.byRound.keys()));
    }
    return seeds;
  }
}

/** The seed indices FedKSeed-Pro assigns the client for the round (tau of them). */
export function assignedSeedsFor(run: RunConfig, seeds: RoundSeeds, clientId: string): number[] {
  return assignedSeedIndices({
    numCandidateSeeds: run.numCandidateSeeds,
    numLocalSteps: run.numLocalSteps,
    samplingSeed: clientSamplingSeed(seeds.samplingSeed, clientId),
    probabilities: seeds.probabilities,
  });
}

/** The task's seed distribution: uniform sampling (FedKSeed) or the assigned indices (FedKSeed-Pro). */
export function seedDistributionFor(run: RunConfig, seeds: RoundSeeds, clientId: string): SeedDistribution {
  const samplingSeed = clientSamplingSeed(seeds.samplingSeed, clientId);
  if (run.seedSampling !== 'importance') return { samplingSeed, distribution: { $case: 'uniform', uniform: {} } };
  return {
    samplingSeed,
    distribution: { $case: 'assigned', assigned: { seedIndices: assignedSeedsFor(run, seeds, clientId) } },
  };
}
