/**
 * Where a forward pass gets its weights. The base weights live once, as float32 on the host (the ZO engine's
 * ParameterSet, in checkpoint layout); each weight is turned into a tfjs tensor just before the layer that uses
 * it runs and disposed after it. A perturbed forward (w + scale z) perturbs each tensor into one scratch buffer
 * on the way: the base weights are never written, so they stay exact, and the extra memory is one tensor.
 *
 * Linear weights are stored [out, in] (y = x W^T) but uploaded transposed, [in, out]: tfjs-wasm's matMul with
 * transposeB is an order of magnitude slower than the plain product.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet, PerturbEngine } from '@fedkseed/zo';

/** A perturbation of every weight: w + scale * z, z the direction named by `key`. */
export interface Perturbation {
  key: Uint32Array;
  scale: number;
}

/** Cache-blocked transpose of a row-major [rows, cols] matrix into [cols, rows]. */
export function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  const BLOCK = 32;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const rowBase = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[rowBase + c];
      }
    }
  }
}

export class WeightSource {
  private scratch: Float32Array | undefined;

  constructor(
    private readonly params: ParameterSet,
    private readonly engine: PerturbEngine,
    private readonly perturbation?: Perturbation,
  ) {}

  has(name: string): boolean {
    return this.params.tensors.some((t) => t.name === name);
  }

  /** The values of `name`, perturbed if this source is; valid until the next call. */
  private values(name: string): { data: Float32Array; shape: readonly number[]; fresh: boolean } {
    const t = this.params.get(name);
    if (!this.perturbation) return { data: t.data, shape: t.shape, fresh: false };
    if (!this.scratch || this.scratch.length < t.data.length) this.scratch = new Float32Array(t.data.length);
    const view = this.scratch.subarray(0, t.data.length);
    view.set(t.data);
    this.engine.axpy(view, this.perturbation.key, t.elementOffset, this.perturbation.scale);
    return { data: view, shape: t.shape, fresh: true };
  }

  /** The tensor as stored (e.g. embeddings, norms, biases). */
  raw(name: string): tf.Tensor {
    const { data, shape, fresh } = this.values(name);
    // The cpu backend keeps the array it is given: never hand it the reused scratch.
    return tf.tensor(fresh ? data.slice() : data, [...shape], 'float32');
  }

  /** A 2-D [rows, cols] weight uploaded as [cols, rows]. */
  transposed(name: string): tf.Tensor2D {
    const { data, shape } = this.values(name);
    if (shape.length !== 2) throw new Error(`${name}: expected a matrix, got shape [${shape.join(', ')}]`);
    const [rows, cols] = shape;
    const out = new Float32Array(rows * cols);
    transposeInto(data, rows, cols, out);
    return tf.tensor2d(out, [cols, rows]);
  }
}
