/**
 * Where a forward pass gets its weights: `raw` for a whole tensor, `rows` for an embedding lookup, each
 * perturbed (w + scale z, the base weights never written) when the source is. Tensors a source returns belong
 * to the caller's tf.tidy scope: a weight the source keeps resident is returned as is and is not disposed by it.
 *
 * `HostWeightSource`: the base weights live once, as float32 on the host (the ZO engine's ParameterSet, in
 * checkpoint layout); each weight is turned into a tfjs tensor just before the layer that uses it runs and
 * disposed after it. A perturbed forward perturbs each tensor into one scratch buffer on the way, so the extra
 * memory is one tensor. (`ResidentWeightSource`, in resident-weights.ts, serves weights kept in the backend.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet, PerturbEngine } from '@fedkseed/zo';

/** A perturbation of every weight: w + scale * z, z the direction named by `key`. */
export interface Perturbation {
  key: Uint32Array;
  scale: number;
}

export interface WeightSource {
  /** The tensor as stored (e.g. embeddings, norms, biases, projection matrices). */
  raw(name: string): tf.Tensor;
  /** Rows `rowIds` of a 2-D weight as a [rows.length, cols] tensor. */
  rows(name: string, rowIds: readonly number[]): tf.Tensor2D;
}

export class HostWeightSource implements WeightSource {
  constructor(
    private readonly params: ParameterSet,
    private readonly engine: PerturbEngine,
    private readonly perturbation?: Perturbation,
    /**
     * Where perturbed weights are made, at least as long as the largest tensor: the model's own, kept across
     * passes (a new one per pass would allocate and zero the largest tensor's bytes every time).
     */
    private readonly scratch?: Float32Array,
  ) {}

  /** The values of `name`, perturbed if this source is; valid until the next call. */
  private values(name: string): { data: Float32Array; shape: readonly number[]; fresh: boolean } {
    const t = this.params.get(name);
    if (!this.perturbation) return { data: t.data, shape: t.shape, fresh: false };
    if (!this.scratch || this.scratch.length < t.data.length)
      throw new RangeError(`HostWeightSource: the scratch is shorter than ${name} (${t.data.length} elements)`);
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
