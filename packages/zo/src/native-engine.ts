/**
 * The 'fast' perturbation engine: a C++ N-API addon (packages/zo/native), built at install time by node-gyp
 * (scripts/build-native.cjs). It vectorizes Philox4x32-10 and the spec's float32 Box-Muller (SIMD over
 * blocks of counters, no libm) and splits large ranges over threads, with results bit-identical to
 * ReferencePerturbEngine: the same float32 operations in the same order, float64 accumulation per element
 * in seed order, FMA contraction off.
 *
 * Arguments are validated here, exactly as the reference validates them, before anything reaches C++.
 */
import * as path from 'node:path';

import { assertElementOffset, assertKey } from './gaussian';
import { assertPerturbIntoArgs, assertReplayArgs, type PerturbEngine } from './perturb-engine';

/** What the compiled addon exports (native/fedkseed_perturb.cc). */
export interface NativeBinding {
  /** w[j] += scale * z[off + j] for the key (k0, k1). threads: at most this many threads, 0 for the default. */
  axpy(w: Float32Array, k0: number, k1: number, elementOffset: number, scale: number, threads: number): void;
  /** out[j] = w[j] + scale * z[off + j]; out is w or does not overlap it, and has its length. */
  axpyInto(
    out: Float32Array,
    w: Float32Array,
    k0: number,
    k1: number,
    elementOffset: number,
    scale: number,
    threads: number,
  ): void;
  /** Seeds are scales.length; keys holds at least 2 words per seed (k0 then k1 of seed s at 2s, 2s+1). */
  replay(w: Float32Array, keys: Uint32Array, scales: Float64Array, elementOffset: number, threads: number): void;
  /** Build and runtime facts: SIMD width, instruction set, worker threads. */
  info(): NativeEngineInfo;
}

export interface NativeEngineInfo {
  /** float32 lanes per SIMD vector of the kernel: 8 for AVX2, 4 for SSE2, NEON and the portable kernel. */
  simdLanes: number;
  /** Instruction set the kernel was compiled for: 'avx2', 'sse2', 'neon' or 'generic'. */
  isa: string;
  /**
   * Default worker threads for large ranges: FEDKSEED_NATIVE_THREADS when the addon was loaded, else the
   * hardware threads, at most 8.
   */
  threads: number;
  /** Elements from which a call is split over the worker threads. */
  parallelThreshold: number;
}

/** Where `npm install` / `npm run build:native -w @fedkseed/zo` puts the addon; the same from src/ and dist/. */
export const NATIVE_ADDON_PATH = path.join(__dirname, '..', 'native', 'build', 'Release', 'fedkseed_perturb.node');

export interface NativeEngineOptions {
  /**
   * At most this many threads per call (calls below `parallelThreshold` elements use one). Results do not
   * depend on it.
   * @default FEDKSEED_NATIVE_THREADS, else the hardware threads, at most 8
   */
  threads?: number;
}

let binding: NativeBinding | { error: string } | undefined;
let defaultEngine: NativePerturbEngine | undefined;

function loadBinding(): NativeBinding | { error: string } {
  if (binding === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(NATIVE_ADDON_PATH) as NativeBinding;
      if (
        typeof loaded.replay !== 'function' ||
        typeof loaded.axpy !== 'function' ||
        typeof loaded.axpyInto !== 'function' ||
        typeof loaded.info !== 'function'
      ) {
        throw new Error(
          'it does not export axpy, axpyInto, replay and info (rebuild: npm run build:native -w @fedkseed/zo)',
        );
      }
      binding = loaded;
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      binding = { error: `cannot load ${NATIVE_ADDON_PATH}: ${message}` };
    }
  }
  return binding;
}

/**
 * The native engine, or why it is unavailable (addon not built, or built for another Node ABI).
 * Without options, one shared engine per module instance.
 */
export function loadNativePerturbEngine(options: NativeEngineOptions = {}): NativePerturbEngine | { error: string } {
  const loaded = loadBinding();
  if ('error' in loaded) return loaded;
  if (options.threads === undefined) return (defaultEngine ??= new NativePerturbEngine(loaded, 0));
  const threads = options.threads;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`threads must be an integer in [1, 256], got ${threads}`);
  }
  return new NativePerturbEngine(loaded, threads);
}

export class NativePerturbEngine implements PerturbEngine {
  readonly implementation = 'native' as const;
  /** Reused per call so replay marshals its keys as one typed array; grown on demand. */
  private keyWords = new Uint32Array(2 * 64);
  private readonly oneKey: Uint32Array[] = [new Uint32Array(2)];
  private readonly oneScale = new Float64Array(1);

  /** @internal Use loadNativePerturbEngine. `threads` 0 means the addon's default. */
  constructor(
    private readonly binding: NativeBinding,
    private readonly threads: number,
  ) {}

  /** SIMD width, instruction set and the thread count calls of this engine use. */
  info(): NativeEngineInfo {
    const info = this.binding.info();
    return this.threads > 0 ? { ...info, threads: this.threads } : info;
  }

  axpy(w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void {
    // The reference's checks in its order: its axpy is replay(w, [key], Float64Array.of(scale), elementOffset).
    const keys = this.oneKey;
    const scales = this.oneScale;
    keys[0] = key;
    scales[0] = scale; // ToNumber, as Float64Array.of does
    assertReplayArgs(keys, scales);
    assertKey(key);
    assertElementOffset(elementOffset, w.length);
    assertFloat32Array(w);
    this.binding.axpy(w, key[0], key[1], elementOffset, scales[0], this.threads);
  }

  perturbInto(out: Float32Array, w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void {
    assertPerturbIntoArgs(out, w, key, elementOffset);
    const scales = this.oneScale;
    scales[0] = scale; // ToNumber, as the reference's axpy does
    this.binding.axpyInto(out, w, key[0], key[1], elementOffset, scales[0], this.threads);
  }

  replay(w: Float32Array, keys: readonly Uint32Array[], scales: Float64Array, elementOffset: number): void {
    assertReplayArgs(keys, scales);
    for (const key of keys) assertKey(key);
    assertElementOffset(elementOffset, w.length);
    assertFloat32Array(w);
    const n = keys.length;
    if (w.length === 0) return;
    // No early return for n === 0: the reference still rewrites w[j] = float32(w[j] + 0), turning -0 into +0.
    if (this.keyWords.length < 2 * n)
      this.keyWords = new Uint32Array(2 * Math.max(n, 2 * (this.keyWords.length >>> 1)));
    const words = this.keyWords;
    for (let s = 0; s < n; s++) {
      const key = keys[s];
      words[2 * s] = key[0];
      words[2 * s + 1] = key[1];
    }
    this.binding.replay(w, words, scales, elementOffset, this.threads);
  }
}

function assertFloat32Array(w: Float32Array): void {
  if (!(w instanceof Float32Array)) throw new TypeError('w must be a Float32Array');
}
