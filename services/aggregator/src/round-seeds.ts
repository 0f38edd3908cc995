/**
 * What a round fixed about seeds when it opened (its sampling seed and, for FedKSeed-Pro, its probabilities),
 * from which the run's SeedStrategy derives each client's task seeds. A round's seeds never change once it is
 * opened, so a replica reads them once per round and keeps the last few.
 */
import type { RoundInfo, RoundStore } from '@fedkseed/store';

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
