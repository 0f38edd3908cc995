/**
 * Reproducible randomness (data partitions, shuffles, test data): Philox4x32-10 keyed by a
 * uint64 seed, one counter per draw, so a given (seed, stream) yields the same sequence on every machine.
 */
import { philoxInto } from './philox';

const TWO_POW_M53 = 2 ** -53;

export class SeededRandom {
  private readonly k0: number;
  private readonly k1: number;
  private readonly words = new Uint32Array(4);
  private counter = 0;

  /** `stream` and `substream` (uint32 each) separate independent sequences under one seed, e.g. client and epoch. */
  constructor(
    seed: bigint | number,
    private readonly stream = 0,
    private readonly substream = 0,
  ) {
    const s = BigInt(seed);
    if (s < 0n || s >= 1n << 64n) throw new RangeError(`SeededRandom: seed must be a uint64, got ${seed}`);
    this.k0 = Number(s & 0xffffffffn);
    this.k1 = Number(s >> 32n);
  }

  /** Uniform double in [0, 1). */
  uniform(): number {
    const n = this.counter++;
    philoxInto(
      n >>> 0,
      Math.floor(n / 2 ** 32),
      this.stream >>> 0,
      this.substream >>> 0,
      this.k0,
      this.k1,
      this.words,
      0,
    );
    return ((this.words[0] >>> 5) * 67108864 + (this.words[1] >>> 6)) * TWO_POW_M53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller in float64). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.uniform();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** A draw from the symmetric Dirichlet(alpha, ..., alpha) over `k` categories. */
  dirichlet(alpha: number, k: number): Float64Array {
    const out = new Float64Array(k);
    let sum = 0;
    for (let i = 0; i < k; i++) {
      out[i] = this.gamma(alpha);
      sum += out[i];
    }
    // Tiny alphas can underflow every gamma draw; fall back to one category rather than 0/0.
    if (!(sum > 0)) {
      out.fill(0);
      out[this.int(k)] = 1;
      return out;
    }
    for (let i = 0; i < k; i++) out[i] /= sum;
    return out;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
