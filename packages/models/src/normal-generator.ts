/**
 * The spec's perturbation direction z (docs/perturbation-spec.md) as a tfjs tensor, for weights that live in
 * the backend's memory: element j of a tensor whose first element sits at flat offset o is z[o + j].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PerturbEngine } from '@fedkseed/zo';

/** z[elementOffset .. elementOffset + size(shape)) of the direction `key`, shaped `shape` (float32). */
export type NormalGenerator = (shape: readonly number[], key: Uint32Array, elementOffset: number) => tf.Tensor;

/**
 * z made on the host by a PerturbEngine and uploaded: bit-exact to the spec on any backend, at the cost of one
 * host-to-backend copy per tensor. The choice where the backend has no generator of its own (wasm, cpu).
 */
export function hostNormalGenerator(engine: PerturbEngine): NormalGenerator {
  return (shape, key, elementOffset) => {
    const z = new Float32Array(shape.reduce((n, d) => n * d, 1));
    engine.axpy(z, key, elementOffset, 1); // 0 + 1 * z: exactly z
    return tf.tensor(z, [...shape], 'float32');
  };
}
