/**
 * The native engine against the executable spec: bit for bit equal to ReferencePerturbEngine for axpy,
 * perturbInto and replay over random keys, offsets (odd, unaligned, beyond 2^32, up to 2^53 - 1), lengths (empty, single
 * elements, partial groups, chunk edges, a 1M range split over threads), scales and seed counts; and the
 * Gaussians it generates within 4e-6 of the exact float64 Box-Muller of the same Philox words.
 *
 * The addon must be built (npm run build:native -w @fedkseed/zo); a missing addon fails this file unless
 * FEDKSEED_ALLOW_NO_NATIVE=1, which skips it instead.
 */
import {
  NATIVE_ADDON_PATH,
  loadNativePerturbEngine,
  type NativeBinding,
  type NativePerturbEngine,
} from './native-engine';
import { type PerturbEngine } from './perturb-engine';
import { philoxInto } from './philox';
import { ReferencePerturbEngine } from './reference-engine';

const loaded = loadNativePerturbEngine();
const allowMissing = process.env.FEDKSEED_ALLOW_NO_NATIVE === '1';

// Hoisted: global lookups are slow inside jest's vm context.
const floor = Math.floor;
const log = Math.log;
const sin = Math.sin;
const cos = Math.cos;
const sqrt = Math.sqrt;
const abs = Math.abs;
const TWO_POW_32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

/** splitmix32-style generator: reproducible cases (the case seed is in every failure message). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

interface Case {
  label: string;
  w: Float32Array;
  keys: Uint32Array[];
  scales: Float64Array;
  offset: number;
}

const LENGTHS = [
  0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 127, 129, 2047, 2048, 2049, 4095, 4097, 6143,
];

function randomCase(seed: number, numSeeds: number): Case {
  const next = rng(seed);
  const unit = () => next() / TWO_POW_32;
  const pick = next() % 4;
  const length = pick === 0 ? LENGTHS[next() % LENGTHS.length] : pick === 1 ? next() % 16 : next() % 9000;
  let offset: number;
  switch (next() % 6) {
    case 0:
      offset = next() % 64; // small, any alignment
      break;
    case 1:
      offset = 4 * TWO_POW_32 - (next() % 5000); // counters crossing 2^32 (high word differs across lanes)
      break;
    case 2:
      offset = TWO_POW_32 + 2 * (next() % 1000) + 1; // odd, beyond 2^32
      break;
    case 3:
      offset = MAX_SAFE - length - (next() % 3); // the end of the safe range
      break;
    default:
      offset = floor(unit() * 2 ** (1 + (next() % 52))); // any magnitude below 2^53
      if (offset + length > MAX_SAFE) offset = MAX_SAFE - length;
  }
  const keys: Uint32Array[] = [];
  const scales = new Float64Array(numSeeds);
  for (let s = 0; s < numSeeds; s++) {
    keys.push(Uint32Array.of(next(), next()));
    const kind = next() % 10;
    scales[s] =
      kind === 0 ? 0 : kind === 1 ? -0 : (next() & 1 ? -1 : 1) * (1 + unit()) * 10 ** (floor(unit() * 14) - 10);
  }
  const w = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    const kind = next() % 16;
    w[j] =
      kind === 0 ? -0 : kind === 1 ? (unit() - 0.5) * 1e-40 : kind === 2 ? (unit() - 0.5) * 1e6 : (unit() - 0.5) * 0.2;
  }
  return { label: `seed ${seed}: ${numSeeds} seeds, length ${length}, offset ${offset}`, w, keys, scales, offset };
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** First differing element, for a readable failure. */
function firstDifference(a: Float32Array, b: Float32Array): string {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let j = 0; j < ua.length; j++) {
    if (ua[j] !== ub[j]) return `element ${j}: ${a[j]} (0x${ua[j].toString(16)}) vs ${b[j]} (0x${ub[j].toString(16)})`;
  }
  return 'none';
}

function expectSame(got: Float32Array, want: Float32Array, label: string): void {
  if (!sameBytes(got, want))
    throw new Error(`${label}: native differs from reference at ${firstDifference(got, want)}`);
}

function checkReplay(engine: PerturbEngine, reference: PerturbEngine, c: Case): void {
  const got = c.w.slice();
  const want = c.w.slice();
  engine.replay(got, c.keys, c.scales, c.offset);
  reference.replay(want, c.keys, c.scales, c.offset);
  expectSame(got, want, `replay ${c.label}`);
}

function checkAxpy(engine: PerturbEngine, reference: PerturbEngine, c: Case): void {
  const got = c.w.slice();
  const want = c.w.slice();
  engine.axpy(got, c.keys[0], c.offset, c.scales[0]);
  reference.axpy(want, c.keys[0], c.offset, c.scales[0]);
  expectSame(got, want, `axpy ${c.label}`);
}

/** perturbInto into a separate array equals copy + axpy of the reference, and leaves w as it was. */
function checkPerturbInto(engine: PerturbEngine, reference: PerturbEngine, c: Case): void {
  const w = c.w.slice();
  const got = new Float32Array(w.length).fill(Number.NaN);
  engine.perturbInto(got, w, c.keys[0], c.offset, c.scales[0]);
  const want = c.w.slice();
  reference.axpy(want, c.keys[0], c.offset, c.scales[0]);
  expectSame(got, want, `perturbInto ${c.label}`);
  expectSame(w, c.w, `perturbInto left w ${c.label}`);
}

if ('error' in loaded) {
  if (allowMissing) {
    console.warn(`native-engine.test.ts skipped (FEDKSEED_ALLOW_NO_NATIVE=1): ${loaded.error}`);
    test.skip('native engine (addon not built)', () => undefined);
  } else {
    test('the native addon is built', () => {
      throw new Error(
        `${loaded.error}\nBuild it with: npm run build:native -w @fedkseed/zo (or set FEDKSEED_ALLOW_NO_NATIVE=1 to skip these tests)`,
      );
    });
  }
} else {
  const native: NativePerturbEngine = loaded;
  const reference = new ReferencePerturbEngine();

  describe('NativePerturbEngine', () => {
    it('reports itself as the native implementation', () => {
      expect(native.implementation).toBe('native');
      const info = native.info();
      expect(info.simdLanes).toBeGreaterThanOrEqual(1);
      expect(info.threads).toBeGreaterThanOrEqual(1);
    });

    it('axpy is bit-identical to the reference over random keys, offsets, lengths and scales', () => {
      for (let seed = 1; seed <= 300; seed++) checkAxpy(native, reference, randomCase(seed, 1));
    });

    it('replay is bit-identical to the reference for 1 to 70 seeds', () => {
      for (let seed = 1001; seed <= 1160; seed++) {
        const numSeeds = seed % 8 === 0 ? 50 + (seed % 21) : 1 + (seed % 9);
        const c = randomCase(seed, numSeeds);
        if (numSeeds > 16 && c.w.length > 2500) continue; // keeps the reference side fast
        checkReplay(native, reference, c);
      }
      checkReplay(native, reference, randomCase(7, 70));
    });

    it('replay of no seeds rewrites w as float32(w + 0), like the reference (-0 becomes +0)', () => {
      const c = randomCase(42, 0);
      const w = Float32Array.of(-0, 1, -0, 2.5, -1e-40, 0);
      checkReplay(native, reference, { ...c, w, offset: 3 });
      const got = w.slice();
      native.replay(got, [], new Float64Array(0), 0);
      expect(Object.is(got[0], 0)).toBe(true);
    });

    it('perturbInto is copy + axpy of the reference, bit for bit, and leaves w alone', () => {
      for (let seed = 5001; seed <= 5200; seed++) checkPerturbInto(native, reference, randomCase(seed, 1));
      // The reference's own perturbInto agrees too.
      for (let seed = 5201; seed <= 5220; seed++) checkPerturbInto(reference, reference, randomCase(seed, 1));
    });

    it('perturbInto with out = w is axpy; it reads a shared-memory array and writes into another', () => {
      const c = randomCase(77, 1);
      const inPlace = c.w.slice();
      native.perturbInto(inPlace, inPlace, c.keys[0], c.offset, c.scales[0]);
      const want = c.w.slice();
      reference.axpy(want, c.keys[0], c.offset, c.scales[0]);
      expectSame(inPlace, want, 'perturbInto in place');
      // Views into one SharedArrayBuffer (the threaded wasm heap is one), side by side without overlap.
      const n = c.w.length;
      const shared = new SharedArrayBuffer(8 * (2 * n + 4));
      const w = new Float32Array(shared, 4, n);
      w.set(c.w);
      const out = new Float32Array(shared, 4 * (n + 3), n);
      native.perturbInto(out, w, c.keys[0], c.offset, c.scales[0]);
      expectSame(out, want, 'perturbInto on shared memory');
      expectSame(w, c.w, 'perturbInto left shared w');
    });

    it('perturbInto over 1M elements split over threads matches the reference', () => {
      const next = rng(77_001);
      const n = 1_000_003;
      const key = Uint32Array.of(next(), next());
      const w = Float32Array.from({ length: n }, () => (next() / TWO_POW_32 - 0.5) * 0.1);
      const want = w.slice();
      reference.axpy(want, key, 123_457, -0.75);
      for (const threads of [1, 2, 3]) {
        const engine = loadNativePerturbEngine({ threads });
        if ('error' in engine) throw new Error(engine.error);
        const out = new Float32Array(n);
        engine.perturbInto(out, w, key, 123_457, -0.75);
        expectSame(out, want, `1M perturbInto, ${threads} threads`);
      }
    });

    it("the addon's own guards (behind the wrapper's checks) refuse bad calls instead of touching memory", () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const raw = require(NATIVE_ADDON_PATH) as NativeBinding;
      const w = new Float32Array(8);
      const out = new Float32Array(8);
      const call = (f: () => void) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return `${(e as Error).constructor.name}: ${(e as Error).message}`;
        }
      };
      const untyped = raw as unknown as Record<string, (...args: unknown[]) => void>;
      expect(call(() => untyped.axpyInto(out, w, 1, 2, 0))).toBe(
        'TypeError: axpyInto(out, w, k0, k1, elementOffset, scale, threads?)',
      );
      expect(call(() => untyped.axpyInto(1, w, 1, 2, 0, 1))).toBe('TypeError: out must be a Float32Array');
      expect(call(() => untyped.axpyInto(out, [1], 1, 2, 0, 1))).toBe('TypeError: w must be a Float32Array');
      expect(call(() => raw.axpyInto(out, new Float32Array(3), 1, 2, 0, 1, 0))).toBe(
        'RangeError: out and w must have the same length',
      );
      expect(call(() => raw.axpyInto(w.subarray(1), w.subarray(0, 7), 1, 2, 0, 1, 0))).toBe(
        'RangeError: out must be w itself or not overlap it',
      );
      expect(call(() => raw.axpyInto(out, w, -1, 2, 0, 1, 0))).toBe('RangeError: key words must be uint32 numbers');
      expect(call(() => raw.axpyInto(out, w, 1, 2, -1, 1, 0))).toBe(
        'RangeError: elementOffset must be a non-negative safe integer',
      );
      expect(call(() => untyped.axpy(w, 1, 2, 0, 'x'))).toBe('TypeError: scale must be a number');
      expect(call(() => raw.axpy(w, 1, 2, 0, 1, -3))).toBe('RangeError: threads must be a uint32');
      expect(Array.from(out)).toEqual(new Array(8).fill(0));
      expect(Array.from(w)).toEqual(new Array(8).fill(0));
    });

    it('perturbInto refuses arrays of other lengths and an out that overlaps w without being it', () => {
      const key = Uint32Array.of(1, 2);
      const backing = new Float32Array(20);
      for (const engine of [native, reference]) {
        expect(() => engine.perturbInto(new Float32Array(4), new Float32Array(5), key, 0, 1)).toThrow(
          'perturbInto: out has 4 elements but w has 5',
        );
        expect(() => engine.perturbInto(backing.subarray(1, 9), backing.subarray(0, 8), key, 0, 1)).toThrow(
          'perturbInto: out must be w itself or not overlap it',
        );
        expect(() => engine.perturbInto([0, 0] as unknown as Float32Array, new Float32Array(2), key, 0, 1)).toThrow(
          TypeError,
        );
        // Adjacent views of one buffer do not overlap.
        engine.perturbInto(backing.subarray(8, 16), backing.subarray(0, 8), key, 0, 1);
      }
    });

    it('axpy(w, key, offset, scale) equals replay(w, [key], [scale], offset)', () => {
      const c = randomCase(99, 1);
      const a = c.w.slice();
      const b = c.w.slice();
      native.axpy(a, c.keys[0], c.offset, c.scales[0]);
      native.replay(b, c.keys, c.scales, c.offset);
      expectSame(a, b, 'axpy vs replay');
    });

    it('writes only its own elements of a subarray view', () => {
      const key = Uint32Array.of(5, 6);
      const backing = new Float32Array(300).fill(1);
      const view = backing.subarray(7, 290);
      native.axpy(view, key, 11, 0.5);
      const want = new Float32Array(283).fill(1);
      reference.axpy(want, key, 11, 0.5);
      expectSame(view, want, 'subarray');
      expect(Array.from(backing.subarray(0, 7))).toEqual(new Array(7).fill(1));
      expect(Array.from(backing.subarray(290))).toEqual(new Array(10).fill(1));
    });

    it('splits a 1M-element range over threads with the same bits for any thread count', () => {
      const next = rng(2024);
      const n = 1_000_003;
      const offset = 4 * TWO_POW_32 - 4 * 100_000 + 1; // odd; counters cross 2^32 mid-range
      const keys = [Uint32Array.of(next(), next()), Uint32Array.of(next(), next()), Uint32Array.of(next(), next())];
      const scales = Float64Array.of(1e-3, -2.5, 3e-7);
      const w0 = new Float32Array(n);
      for (let j = 0; j < n; j++) w0[j] = (next() / TWO_POW_32 - 0.5) * 0.1;

      const want = w0.slice();
      reference.replay(want, keys, scales, offset);
      const wantAxpy = w0.slice();
      reference.axpy(wantAxpy, keys[1], offset, scales[1]);

      for (const threads of [1, 2, 3, 4, 8]) {
        const engine = loadNativePerturbEngine({ threads });
        if ('error' in engine) throw new Error(engine.error);
        expect(engine.info().threads).toBe(threads);
        const got = w0.slice();
        engine.replay(got, keys, scales, offset);
        expectSame(got, want, `1M replay, ${threads} threads`);
        const gotAxpy = w0.slice();
        engine.axpy(gotAxpy, keys[1], offset, scales[1]);
        expectSame(gotAxpy, wantAxpy, `1M axpy, ${threads} threads`);
      }
      const got = w0.slice();
      native.replay(got, keys, scales, offset); // the default thread count
      expectSame(got, want, '1M replay, default threads');
    });

    it('rejects what the reference rejects, with the same errors', () => {
      const w = new Float32Array(8);
      const key = Uint32Array.of(1, 2);
      const bad: Array<[string, (e: PerturbEngine) => void]> = [
        ['short key', (e) => e.axpy(w, new Uint32Array(1), 0, 1)],
        ['key not a Uint32Array', (e) => e.axpy(w, [1, 2] as unknown as Uint32Array, 0, 1)],
        ['negative offset', (e) => e.axpy(w, key, -1, 1)],
        ['fractional offset', (e) => e.axpy(w, key, 0.5, 1)],
        ['offset past 2^53', (e) => e.axpy(w, key, MAX_SAFE - 3, 1)],
        ['scales not Float64Array', (e) => e.replay(w, [key], [1] as unknown as Float64Array, 0)],
        ['keys/scales mismatch', (e) => e.replay(w, [key, key], Float64Array.of(1), 0)],
        ['bad key in replay', (e) => e.replay(w, [key, new Uint32Array(3)], Float64Array.of(1, 2), 0)],
        ['NaN offset', (e) => e.replay(w, [key], Float64Array.of(1), NaN)],
      ];
      for (const [label, call] of bad) {
        let want: unknown;
        try {
          call(reference);
        } catch (err) {
          want = err;
        }
        let got: unknown;
        try {
          call(native);
        } catch (err) {
          got = err;
        }
        const describe = (err: unknown) =>
          err instanceof Error ? `${err.constructor.name}: ${err.message}` : 'no error';
        expect({ label, error: describe(got) }).toEqual({ label, error: describe(want) });
        expect(want).toBeInstanceOf(Error);
      }
      expect(() => native.axpy(new Float64Array(4) as unknown as Float32Array, key, 0, 1)).toThrow(TypeError);
      expect(() => loadNativePerturbEngine({ threads: 0 })).toThrow(RangeError);
    });

    it('generates Gaussians within 4e-6 of the exact float64 Box-Muller over 16M samples', () => {
      const n = 1 << 24;
      const k0 = 0x2545f491;
      const k1 = 0x4f6cdd1d;
      const offset = 4 * (TWO_POW_32 - (1 << 21)); // counters run across 2^32
      const z = new Float32Array(n);
      native.axpy(z, Uint32Array.of(k0, k1), offset, 1); // 0 + (0 + 1 * z) = z exactly
      const words = new Uint32Array(4);
      const uFloor = Math.fround(1e-7);
      const twoPi = 2 * Math.PI;
      const inv23 = 2 ** -23;
      let maxErr = 0;
      let worst = -1;
      let floored = 0;
      const firstCounter = offset / 4;
      for (let i = 0; i < n / 4; i++) {
        const counter = firstCounter + i;
        philoxInto(counter >>> 0, floor(counter / TWO_POW_32), 0, 0, k0, k1, words, 0);
        for (let pair = 0; pair < 2; pair++) {
          let u1 = (words[2 * pair] & 0x7fffff) * inv23;
          if (u1 < uFloor) {
            u1 = uFloor;
            floored++;
          }
          const r = sqrt(-2 * log(u1));
          const v = twoPi * (words[2 * pair + 1] & 0x7fffff) * inv23;
          const j = 4 * i + 2 * pair;
          const e0 = abs(z[j] - sin(v) * r);
          const e1 = abs(z[j + 1] - cos(v) * r);
          if (e0 > maxErr) {
            maxErr = e0;
            worst = j;
          }
          if (e1 > maxErr) {
            maxErr = e1;
            worst = j + 1;
          }
        }
      }
      expect({ maxErr, worst, ok: maxErr < 4e-6 }).toEqual({ maxErr, worst, ok: true });
      expect(floored).toBeLessThan(20); // about 1 expected: the floor is exercised only by chance
    });
  });
}
