/**
 * Where a forward pass gets its weights: `raw` for a whole tensor, `rows` for an embedding lookup, each
 * perturbed (w + scale z, the base weights never written) when the source is. Tensors a source returns belong
 * to the caller's tf.tidy scope: a weight the source keeps resident is returned as is and is not disposed by it.
 *
 * `HostWeightSource`: the base weights live once, as float32 on the host (the ZO engine's ParameterSet, in
 * checkpoint layout); each weight is turned into a tfjs tensor just before the layer that uses it runs and
 * disposed after it. A perturbed forward makes each tensor's values as w + scale z in one pass of the engine
 * (perturbInto), written where the backend keeps them (filled-tensor.ts: straight into the wasm heap, or a new
 * array the backend takes), so the extra memory is one tensor. (`ResidentWeightSource`, in
 * resident-weights.ts, serves weights kept in the backend.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParameterSet, PerturbEngine } from '@fedkseed/zo';

import { filledTensor } from './filled-tensor';

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
  ) {}

  /** The tensor as stored (e.g. embeddings, norms, biases), perturbed if this source is. */
  raw(name: string): tf.Tensor {
    const t = this.params.get(name);
    const perturbation = this.perturbation;
    if (!perturbation) return tf.tensor(t.data, [...t.shape], 'float32');
    return filledTensor(t.shape, (out) =>
      this.engine.perturbInto(out, t.data, perturbation.key, t.elementOffset, perturbation.scale),
    );
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
      const stored = t.data.subarray(r * cols, (r + 1) * cols);
      if (!this.perturbation) row.set(stored);
      else
        this.engine.perturbInto(
          row,
          stored,
          this.perturbation.key,
          t.elementOffset + r * cols,
          this.perturbation.scale,
        );
    });
    return tf.tensor2d(out, [rowIds.length, cols]);
  }
}
