/**
 * Where local training gets the seed index of each step: drawn by the client (`SeedSampler`, FedKSeed's
 * uniform draw or a given distribution) or handed out by the server (`AssignedSeeds`, FedKSeed-Pro's list of
 * assigned indices, one per local step, walked in order).
 */

export interface SeedSource {
  /** The seed index of the next step. */
  next(): number;
  /** K, when the source knows it: localTrain checks it against the run's CandidateSeeds. */
  readonly numCandidateSeeds?: number;
  /** Draws left, when finite: localTrain refuses to start steps it could not finish. */
  readonly remaining?: number;
}

export interface AssignedSeedsOptions {
  /** K: every index must lie in [0, K) when given. */
  numCandidateSeeds?: number;
  /** Indices already used (the position to resume from). @default 0 */
  startPosition?: number;
}

/** A server-assigned list of seed indices (FedKSeed-Pro), walked in order; running past its end is an error. */
export class AssignedSeeds implements SeedSource {
  readonly numCandidateSeeds: number | undefined;
  private readonly seedIndices: readonly number[];
  private used: number;

  constructor(seedIndices: ArrayLike<number>, opts: AssignedSeedsOptions = {}) {
    const k = opts.numCandidateSeeds;
    if (k !== undefined && (!Number.isInteger(k) || k < 1))
      throw new RangeError(`AssignedSeeds: numCandidateSeeds must be a positive integer, got ${k}`);
    this.seedIndices = Array.from(seedIndices);
    this.seedIndices.forEach((i, position) => {
      if (!Number.isInteger(i) || i < 0 || (k !== undefined && i >= k))
        throw new RangeError(`AssignedSeeds: index ${i} at position ${position} is outside [0, ${k ?? '2^32'})`);
    });
    this.numCandidateSeeds = k;
    this.used = opts.startPosition ?? 0;
    if (!Number.isSafeInteger(this.used) || this.used < 0 || this.used > this.seedIndices.length)
      throw new RangeError(`AssignedSeeds: startPosition must be an integer in [0, ${this.seedIndices.length}]`);
  }

  /** Number of indices used so far (the position to resume from). */
  get position(): number {
    return this.used;
  }

  get remaining(): number {
    return this.seedIndices.length - this.used;
  }

  next(): number {
    if (this.used >= this.seedIndices.length)
      throw new RangeError(`AssignedSeeds: all ${this.seedIndices.length} assigned seed indices are used`);
    return this.seedIndices[this.used++];
  }
}
