/**
 * Weights kept in the backend's memory (TensorFlow's, on the GPU with tfjs-node-gpu) instead of on the host:
 * a forward pass perturbs them there (w + scale z with z from a NormalGenerator) and a ZO update or a model pull
 * lands there, so no step moves weights or noise through the host. The base weights are never written by a
 * forward pass; an update replaces each tensor by w + scale z.
 *
 * Arithmetic is float32 on the backend (w + f32(scale) z per key), where the host engine accumulates in float64
 * and rounds once (docs/perturbation-spec.md section 5): the two agree to an ulp or two per update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ParameterSet, assertSameParameterLayout, type PerturbTarget } from '@fedkseed/zo';

import type { NormalGenerator } from './normal-generator';
import type { Perturbation, WeightSource } from './weight-source';

interface ResidentTensor {
  name: string;
  shape: readonly number[];
  elementOffset: number;
  value: tf.Tensor;
}

export class ResidentWeights implements PerturbTarget {
  private readonly byName = new Map<string, ResidentTensor>();
  private disposed = false;

  /** Uploads a copy of `params` (canonical order and offsets are kept); its arrays are not referenced. */
  constructor(
    params: ParameterSet,
    readonly generate: NormalGenerator,
  ) {
    for (const t of params.tensors) {
      this.byName.set(t.name, {
        name: t.name,
        shape: t.shape,
        elementOffset: t.elementOffset,
        value: upload(t.data, t.shape),
      });
    }
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The resident tensor and where it sits in the flat perturbation space. */
  entry(name: string): ResidentTensor {
    if (this.disposed) throw new Error('ResidentWeights: disposed');
    const t = this.byName.get(name);
    if (!t) throw new RangeError(`no parameter named ${name}`);
    return t;
  }

  /** w <- w + scale z_key for every tensor (a ZO update). */
  axpy(key: Uint32Array, scale: number): void {
    this.replay([key], Float64Array.of(scale));
  }

  /** w <- w + sum_s scales[s] z_keys[s] for every tensor (a model pull), summed per tensor, then added once. */
  replay(keys: readonly Uint32Array[], scales: Float64Array): void {
    if (keys.length !== scales.length) throw new RangeError(`replay: ${keys.length} keys but ${scales.length} scales`);
    for (let s = 0; s < scales.length; s++)
      if (!Number.isFinite(scales[s])) throw new RangeError(`replay: scale ${s} is not finite`);
    if (keys.length === 0) return;
    for (const t of this.byName.values()) {
      const next = tf.keep(
        tf.tidy(() => {
          let acc: tf.Tensor | undefined;
          keys.forEach((key, s) => {
            const term = tf.mul(this.generate(t.shape, key, t.elementOffset), scales[s]);
            acc = acc ? tf.add(acc, term) : term;
          });
          return tf.add(t.value, acc!);
        }),
      );
      t.value.dispose();
      t.value = next;
    }
  }

  /** Replaces every weight by `params`' values (same names and shapes, checked before anything changes). */
  assign(params: ParameterSet): void {
    if (this.disposed) throw new Error('ResidentWeights: disposed');
    assertSameParameterLayout({ tensors: [...this.byName.values()] }, params, 'setParameters');
    for (const t of params.tensors) {
      const entry = this.byName.get(t.name)!;
      const next = upload(t.data, t.shape);
      entry.value.dispose();
      entry.value = next;
    }
  }

  /** A host copy of the weights, in the canonical order and offsets, that shares no memory with them. */
  async read(): Promise<ParameterSet> {
    const tensors = [];
    // The cpu backend's data() is a view of the tensor's own values: copied, so that a caller writing the copy
    // cannot move the weights.
    for (const t of this.byName.values())
      tensors.push({ name: t.name, shape: t.shape, data: ((await t.value.data()) as Float32Array).slice() });
    return new ParameterSet(tensors);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.byName.values()) t.value.dispose();
  }
}

/**
 * A kept tensor of a copy of `data`: the cpu backend and tfjs-node keep a reference to the array they are given
 * (tfjs-node reads it only when an op first uses the tensor), so uploading the caller's array itself would let
 * the caller's later writes move the resident weights.
 */
function upload(data: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.keep(tf.tensor(data.slice(), [...shape], 'float32'));
}

/** A WeightSource over ResidentWeights, perturbed on the backend when `perturbation` is given. */
export class ResidentWeightSource implements WeightSource {
  constructor(
    private readonly weights: ResidentWeights,
    private readonly perturbation?: Perturbation,
  ) {}

  raw(name: string): tf.Tensor {
    const t = this.weights.entry(name);
    if (!this.perturbation) return t.value;
    const { key, scale } = this.perturbation;
    return tf.tidy(() => tf.add(t.value, tf.mul(this.weights.generate(t.shape, key, t.elementOffset), scale)));
  }

  rows(name: string, rowIds: readonly number[]): tf.Tensor2D {
    const t = this.weights.entry(name);
    if (t.shape.length !== 2) throw new RangeError(`${name} is not a 2-D weight`);
    return tf.tidy(() => {
      const ids = tf.tensor1d(Int32Array.from(rowIds), 'int32');
      const rows = tf.gather(t.value, ids) as tf.Tensor2D;
      if (!this.perturbation) return rows;
      // z of the whole table, then the rows: one generator call (on a GPU that is cheaper than one per row).
      const z = this.weights.generate(t.shape, this.perturbation.key, t.elementOffset);
      return tf.add(rows, tf.mul(tf.gather(z, ids), this.perturbation.scale)) as tf.Tensor2D;
    });
  }
}
