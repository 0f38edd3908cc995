/**
 * Seeded draws for fuzzing, biased towards the values that break code: integer edges (0, 2^31, 2^32 - 1),
 * float edges (NaN, +-Inf, 3e38, -0, the smallest denormal) and strings that are empty, very long, or not valid
 * Unicode. Built on the project's Philox SeededRandom, so (seed, stream, substream) gives the same draws on
 * every machine: a fuzz test gives each iteration its own substream, and an input is replayed from the seed and
 * the iteration alone, whatever order concurrent calls finished in.
 */
import { SeededRandom } from '@fedkseed/zo';

/** uint32 values at the edges of the ranges services check (counts, rounds, K). */
const EDGE_UINT32 = [
  0,
  1,
  2,
  3,
  7,
  8,
  9,
  15,
  16,
  17,
  63,
  64,
  65,
  127,
  128,
  255,
  256,
  4095,
  4096,
  4097,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 2,
  2 ** 32 - 1,
];

/** Items of a long list that are drawn; the rest repeat them (FuzzRandom.list). */
const LIST_BLOCK = 100;

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Values a float32 or float64 field may carry that arithmetic and validation must survive. */
const EDGE_FLOATS = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  3e38,
  -3e38,
  FLOAT32_MAX,
  1.4e-45, // smallest float32 denormal
  1e-38,
  1e39, // beyond float32
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  2 ** 53 + 2,
];

/** The edge values a float32 field can carry: all but the finite ones beyond its range. */
const EDGE_FLOAT32S = EDGE_FLOATS.filter((x) => !(Number.isFinite(x) && Math.abs(x) > FLOAT32_MAX));

/** Strings that validation of names, keys and versions must survive (lengths around the 64 and 128 limits). */
const EDGE_TEXTS = [
  '',
  ' ',
  '\0',
  'a\0b',
  '\uD800', // lone high surrogate
  '\uDC00', // lone low surrogate
  'x\uDBFFy',
  '\uDC00\uD800', // a pair in the wrong order
  '\u202Eevil', // right-to-left override
  'e\u0301', // combining accent
  '\u{1F600}',
  '\uFEFF',
  '\uFFFD',
  'n'.repeat(64),
  'n'.repeat(65),
  '\u{1F600}'.repeat(64), // 64 characters, 128 UTF-16 units
  '\u{1F600}'.repeat(65),
  'k'.repeat(128),
  'k'.repeat(129),
  'v1.c-AAAA.BBBB',
  '{"json":true}',
  '%s%n',
];

export class FuzzRandom {
  private readonly random: SeededRandom;

  /** `stream` and `substream` (uint32 each) separate independent sequences under one seed (e.g. RPC, iteration). */
  constructor(
    readonly seed: number,
    readonly stream = 0,
    readonly substream = 0,
  ) {
    this.random = new SeededRandom(seed, stream, substream);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.random.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.random.int(n);
  }

  /** Standard normal. */
  normal(): number {
    return this.random.normal();
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /**
   * `count` items for a repeated field: up to LIST_BLOCK drawn with `draw`, the rest repeating them in order, so
   * that a field of 50,000 entries costs the test little more than one of 100.
   */
  list<T>(count: number, draw: () => T): T[] {
    const block = Array.from({ length: Math.min(count, LIST_BLOCK) }, draw);
    return Array.from({ length: count }, (_, j) => block[j % block.length]);
  }

  /** `length` uniformly random bytes. */
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A uint32: an edge value, a small count, or uniform over the whole range. */
  uint32(): number {
    const kind = this.int(3);
    if (kind === 0) return this.pick(EDGE_UINT32);
    if (kind === 1) return this.int(20);
    return this.int(2 ** 32);
  }

  /** A value for a `double` field: an edge value or a random one over many magnitudes. */
  double(): number {
    if (this.chance(0.5)) return this.pick(EDGE_FLOATS);
    return (this.uniform() - 0.5) * 10 ** (this.int(600) - 300);
  }

  /**
   * A value for a `float` field: an edge value or a random one over many magnitudes, within what an encoder
   * accepts for float32 (NaN, +-Infinity, or finite with |x| <= 3.4028235e38; it refuses anything beyond).
   */
  float(): number {
    if (this.chance(0.5)) return this.pick(EDGE_FLOAT32S);
    return Math.fround((this.uniform() - 0.5) * 10 ** (this.int(76) - 38));
  }

  /** A string: an edge case, random printable ASCII, random code points (surrogates included), or very long. */
  text(): string {
    const kind = this.int(5);
    if (kind === 0) return this.pick(EDGE_TEXTS);
    if (kind === 1) return this.printable(this.int(80));
    if (kind === 2) return this.pick(['x', '\u00E9', '\u{1F600}', '\uD800']).repeat(this.pick([200, 10_000, 100_000]));
    let text = '';
    for (let i = this.int(40); i > 0; i--) text += String.fromCodePoint(this.codePoint());
    return text;
  }

  /** `length` printable ASCII characters (what gRPC allows in a metadata value). */
  printable(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(0x20 + this.int(0x5f));
    return text;
  }

  /** Any code point, lone surrogates included; weighted towards ASCII and the edges of the planes. */
  private codePoint(): number {
    const kind = this.int(4);
    if (kind === 0) return this.int(0x80);
    if (kind === 1) return 0xd800 + this.int(0x800); // a lone surrogate
    if (kind === 2) return this.pick([0, 0x7f, 0x80, 0x7ff, 0x800, 0xfffe, 0xffff, 0x10000, 0x10ffff]);
    return this.int(0x110000);
  }
}
