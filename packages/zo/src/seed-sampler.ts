/**
 * Draws candidate seed indices for local steps: uniformly (FedKSeed) or from given probabilities
 * (FedKSeed-Pro). Deterministic from the sampling seed and the draw position, so a retried job that
 * restarts from the same position draws the same seeds on any machine.
 */
import { philoxInto } from './philox';

/** Domain separator in counter word 2: ASCII "SAMP". */
export const SEED_SAMPLER_DOMAIN = 0x53414d50;
const MAX_UINT64 = (1n << 64n) - 1n;
const TWO_POW_M53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;

export interface SeedSamplerOptions {
  /** K: seed indices are drawn from [0, K). */
  numCandidateSeeds: number;
  /** uint64 seed of this sampler (e.g. derived from run, round and client). */
  samplingSeed: bigint;
  /** Sampling distribution over the K seeds; uniform when absent. Need not be normalized. */
  probabilities?: Float64Array;
  /** Number of draws already made (to resume). @default 0 */
  startPosition?: number;
}

export class SeedSampler {
  readonly numCandidateSeeds: number;
  private readonly k0: number;
  private readonly k1: number;
  /** Cumulative weights, when not uniform. */
  private readonly cdf: Float64Array | undefined;
  private readonly words = new Uint32Array(4);
  private drawn: number;

  constructor(opts: SeedSamplerOptions) {
    const { numCandidateSeeds, samplingSeed, probabilities } = opts;
    if (!Number.isInteger(numCandidateSeeds) || numCandidateSeeds < 1) {
      throw new RangeError(`SeedSampler: numCandidateSeeds must be a positive integer, got ${numCandidateSeeds}`);
    }
    if (typeof samplingSeed !== 'bigint' || samplingSeed < 0n || samplingSeed > MAX_UINT64) {
      throw new RangeError('SeedSampler: samplingSeed must be a uint64 bigint');
    }
    this.numCandidateSeeds = numCandidateSeeds;
    this.k0 = Number(samplingSeed & 0xffffffffn);
    this.k1 = Number(samplingSeed >> 32n);
    this.drawn = opts.startPosition ?? 0;
    if (!Number.isSafeInteger(this.drawn) || this.drawn < 0)
      throw new RangeError('SeedSampler: startPosition must be a non-negative integer');
    if (probabilities) {
      if (probabilities.length !== numCandidateSeeds) {
        throw new RangeError(`SeedSampler: ${probabilities.length} probabilities for ${numCandidateSeeds} seeds`);
      }
      const cdf = new Float64Array(numCandidateSeeds);
      let total = 0;
      for (let i = 0; i < numCandidateSeeds; i++) {
        const p = probabilities[i];
        if (!(p >= 0) || !Number.isFinite(p))
          throw new RangeError(`SeedSampler: probability ${p} of seed ${i} is not a finite non-negative number`);
        total += p;
        cdf[i] = total;
      }
      if (!(total > 0)) throw new RangeError('SeedSampler: probabilities sum to zero');
      this.cdf = cdf;
    }
  }

  /** Number of indices drawn so far (the position to resume from). */
  get position(): number {
    return this.drawn;
  }

  /** A uniform double in [0, 1) with 53 random bits, from draw number `n`. */
  private uniform(n: number): number {
    philoxInto(n >>> 0, Math.floor(n / TWO_POW_32), SEED_SAMPLER_DOMAIN, 0, this.k0, this.k1, this.words, 0);
    return ((this.words[0] >>> 5) * 67108864 + (this.words[1] >>> 6)) * TWO_POW_M53;
  }

  next(): number {
    const u = this.uniform(this.drawn++);
    const cdf = this.cdf;
    if (!cdf) return Math.floor(u * this.numCandidateSeeds);
    const target = u * cdf[cdf.length - 1];
    // First index whose cumulative weight exceeds target; zero-probability seeds are never chosen.
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
