/**
 * Where a forward pass gets its weights. The base weights live once, as float32 on the host (the ZO engine's
 * ParameterSet, in checkpoint layout); each weight is turned into a tfjs tensor just before the layer that uses
 * it runs and disposed after it. A perturbed forward (w + scale z) perturbs each tensor into one scratch buffer
 * on the way: the base weights are never written, so they stay exact, and the extra memory is one tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet, PerturbEngine } from '@fedkseed/zo';

/** A perturbation of every weight: w + scale * z, z the direction named by `key`. */
export interface Perturbation {
  key: Uint32Array;
  scale: number;
}

export class WeightSource {
  private scratch: Float32Array | undefined;

  constructor(
    private readonly params: ParameterSet,
    private readonly engine: PerturbEngine,
    private readonly perturbation?: Perturbation,
  ) {}

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
    // The cpu backend keeps the array it is given (others copy it): never hand it the reused scratch.
    return tf.tensor(fresh && tf.getBackend() === 'cpu' ? data.slice() : data, [...shape], 'float32');
  }

  /**
   * Rows `rowIds` of a 2-D weight as a [rows.length, cols] tensor, perturbed if this source is: an embedding
   * lookup touches only the rows it reads (each row's z starts at the tensor's offset + row * cols).
   */
  rows(name: string, rowIds: readonly number[]): tf.Tensor2D {
    const t = this.params.get(name);
    const cols = t.shape[1];
    const out = new Float32Array(rowIds.length * cols);
    rowIds.forEach((r, i) => {
      const row = out.subarray(i * cols, (i + 1) * cols);
      row.set(t.data.subarray(r * cols, (r + 1) * cols));
      if (this.perturbation)
        this.engine.axpy(row, this.perturbation.key, t.elementOffset + r * cols, this.perturbation.scale);
    });
    return tf.tensor2d(out, [rowIds.length, cols]);
  }
}
