/**
 * The reference perturbation engine: plain TypeScript, the executable form of docs/perturbation-spec.md.
 * Slow (tens of millions of elements per second) but the yardstick every fast engine is tested against.
 */
import { assertElementOffset, assertKey, gaussianRangeInto } from './gaussian';
import { assertPerturbIntoArgs, assertReplayArgs, type PerturbEngine } from './perturb-engine';

const f = Math.fround;
const min = Math.min;
/** Elements per chunk: w, acc and z for one chunk stay in L1/L2 while every seed is added. */
const CHUNK_ELEMENTS = 2048;

export class ReferencePerturbEngine implements PerturbEngine {
  readonly implementation = 'reference' as const;
  private readonly z = new Float32Array(CHUNK_ELEMENTS);
  private readonly acc = new Float64Array(CHUNK_ELEMENTS);
  private readonly words = new Uint32Array(4);
  private readonly quad = new Float32Array(4);

  axpy(w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void {
    this.replay(w, [key], Float64Array.of(scale), elementOffset);
  }

  perturbInto(out: Float32Array, w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void {
    assertPerturbIntoArgs(out, w, key, elementOffset);
    if (out !== w) out.set(w);
    this.axpy(out, key, elementOffset, scale);
  }

  replay(w: Float32Array, keys: readonly Uint32Array[], scales: Float64Array, elementOffset: number): void {
    assertReplayArgs(keys, scales);
    for (const key of keys) assertKey(key);
    assertElementOffset(elementOffset, w.length);
    const { z, acc, words, quad } = this;
    for (let start = 0; start < w.length; start += CHUNK_ELEMENTS) {
      const n = min(CHUNK_ELEMENTS, w.length - start);
      acc.fill(0, 0, n);
      for (let s = 0; s < keys.length; s++) {
        const scale = scales[s];
        gaussianRangeInto(z, n, keys[s][0], keys[s][1], elementOffset + start, words, quad);
        for (let j = 0; j < n; j++) acc[j] = acc[j] + scale * z[j];
      }
      for (let j = 0; j < n; j++) w[start + j] = f(w[start + j] + acc[j]);
    }
  }
}
