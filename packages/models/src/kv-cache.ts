/** Keys and values of every layer for the positions processed so far (greedy generation). */
import * as tf from '@tensorflow/tfjs-core';

export class KvCache {
  readonly keys: (tf.Tensor | undefined)[];
  readonly values: (tf.Tensor | undefined)[];
  /** Positions cached. */
  length = 0;

  constructor(numLayers: number) {
    this.keys = new Array(numLayers).fill(undefined);
    this.values = new Array(numLayers).fill(undefined);
  }

  /**
   * Appends this step's keys and values for `layer` along the position axis (`axis`: 2 for [B, heads, T, d],
   * 1 for transposed [heads*d, T]) and returns the full ones, kept beyond the caller's tidy.
   */
  append<T extends tf.Tensor>(layer: number, k: T, v: T, axis = 2): { k: T; v: T } {
    const prevK = this.keys[layer];
    const prevV = this.values[layer];
    const fullK = prevK ? (tf.concat([prevK, k], axis) as T) : k;
    const fullV = prevV ? (tf.concat([prevV, v], axis) as T) : v;
    tf.keep(fullK);
    tf.keep(fullV);
    prevK?.dispose();
    prevV?.dispose();
    this.keys[layer] = fullK;
    this.values[layer] = fullV;
    return { k: fullK, v: fullV };
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.length = 0;
  }
}
