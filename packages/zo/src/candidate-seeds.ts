/**
 * The run's K candidate seeds (FedKSeed, Qin et al. 2024, section 3.2): seed index i in [0, K) names
 * direction z_i. Keys are derived once per run from the run seed and cached.
 */
import { seedKey } from './seed-key';

export class CandidateSeeds {
  /** Key words of every seed index, 2 per seed, filled lazily (0 length until first use). */
  private readonly keyWords: Uint32Array;
  private readonly derived: Uint8Array;

  constructor(
    /** The run seed every party shares (uint64). */
    readonly runSeed: bigint,
    /** K, the number of candidate seeds (FedKSeed default 4096). */
    readonly numCandidateSeeds: number,
  ) {
    if (!Number.isInteger(numCandidateSeeds) || numCandidateSeeds < 1 || numCandidateSeeds > 0xffffffff) {
      throw new RangeError(`numCandidateSeeds must be an integer in [1, 2^32), got ${numCandidateSeeds}`);
    }
    seedKey(runSeed, 0); // validates runSeed early
    this.keyWords = new Uint32Array(2 * numCandidateSeeds);
    this.derived = new Uint8Array(numCandidateSeeds);
  }

  /** The Philox key of seed `seedIndex` (a view; do not modify). */
  key(seedIndex: number): Uint32Array {
    this.assertIndex(seedIndex);
    if (this.derived[seedIndex] === 0) {
      this.keyWords.set(seedKey(this.runSeed, seedIndex), 2 * seedIndex);
      this.derived[seedIndex] = 1;
    }
    return this.keyWords.subarray(2 * seedIndex, 2 * seedIndex + 2);
  }

  assertIndex(seedIndex: number): void {
    if (!Number.isInteger(seedIndex) || seedIndex < 0 || seedIndex >= this.numCandidateSeeds) {
      throw new RangeError(`seed index ${seedIndex} is outside [0, ${this.numCandidateSeeds})`);
    }
  }
}
