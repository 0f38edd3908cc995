/**
 * Perturbation engines: the one hot loop of FedKSeed. Every ZO step, every model pull and every replay is
 * w += sum_s scale_s * z_s over the model's parameters, with z_s regenerated from seed s's key.
 *
 * Semantics (docs/perturbation-spec.md section 5), identical in every engine, bit for bit:
 *   acc = +0 (float64); for s in order: acc = acc + scales[s] * float64(z_s[elementOffset + j])
 *   w[j] = float32(float64(w[j]) + acc)
 * `axpy(w, key, off, scale)` is exactly `replay(w, [key], [scale], off)`, and `perturbInto(out, w, key, off, scale)`
 * exactly copying w into out and then `axpy(out, key, off, scale)`.
 */
import { assertElementOffset, assertKey } from './gaussian';

export interface PerturbEngine {
  /** Which implementation runs: 'reference' (TypeScript) or 'native' (C++ N-API addon, SIMD, threads). */
  readonly implementation: 'reference' | 'native';
  /** In place: w[j] += scale * z[elementOffset + j], z the direction named by `key`. */
  axpy(w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void;
  /**
   * out[j] = w[j] + scale * z[elementOffset + j], w left as it is: a perturbed copy made in one pass. `out` has
   * w's length and is either w itself (then this is axpy) or memory that does not overlap w.
   */
  perturbInto(out: Float32Array, w: Float32Array, key: Uint32Array, elementOffset: number, scale: number): void;
  /**
   * Fused multi-seed update, w read and written once: w[j] += sum_s scales[s] * z_s[elementOffset + j].
   * `keys[s]` names z_s; `scales.length === keys.length`.
   */
  replay(w: Float32Array, keys: readonly Uint32Array[], scales: Float64Array, elementOffset: number): void;
}

export type PerturbEngineKind = 'reference' | 'fast';

export function assertReplayArgs(keys: readonly Uint32Array[], scales: Float64Array): void {
  if (!(scales instanceof Float64Array)) throw new TypeError('replay: scales must be a Float64Array');
  if (keys.length !== scales.length) {
    throw new RangeError(`replay: ${keys.length} keys but ${scales.length} scales`);
  }
  for (const key of keys) {
    if (!(key instanceof Uint32Array) || key.length !== 2)
      throw new RangeError('replay: every key must be 2 uint32 words');
  }
}

/**
 * perturbInto's arguments, checked alike by every engine: Float32Arrays of one length, out either w itself or
 * apart from it, then the key and the element offset as axpy checks them.
 */
export function assertPerturbIntoArgs(
  out: Float32Array,
  w: Float32Array,
  key: Uint32Array,
  elementOffset: number,
): void {
  if (!(out instanceof Float32Array)) throw new TypeError('perturbInto: out must be a Float32Array');
  if (!(w instanceof Float32Array)) throw new TypeError('perturbInto: w must be a Float32Array');
  if (out.length !== w.length)
    throw new RangeError(`perturbInto: out has ${out.length} elements but w has ${w.length}`);
  const same = out.buffer === w.buffer && out.byteOffset === w.byteOffset;
  const overlap =
    out.buffer === w.buffer &&
    out.length > 0 &&
    out.byteOffset < w.byteOffset + w.byteLength &&
    w.byteOffset < out.byteOffset + out.byteLength;
  if (overlap && !same) throw new RangeError('perturbInto: out must be w itself or not overlap it');
  assertKey(key);
  assertElementOffset(elementOffset, w.length);
}
