/** Building blocks shared by the architectures: norms, activations, rotary embeddings, attention. */
import * as tf from '@tensorflow/tfjs-core';

/** Large negative added to masked attention scores (exp underflows to exactly 0 in float32). */
const MASKED = -1e9;

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), weight), bias);
}

/** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * Additive mask [B, 1, T, S]: query t (absolute position offset + t) may see key s when s <= offset + t and the
 * key is not padding (attentionMask[b][s] === 1; S = offset + T).
 */
export function attentionMaskTensor(
  batch: number,
  queries: number,
  offset: number,
  attentionMask?: number[][],
): tf.Tensor4D {
  const keys = offset + queries;
  const m = new Float32Array(batch * queries * keys);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < queries; t++) {
      for (let s = 0; s < keys; s++) {
        const visible = s <= offset + t && (attentionMask === undefined || attentionMask[b][s] !== 0);
        m[(b * queries + t) * keys + s] = visible ? 0 : MASKED;
      }
    }
  }
  return tf.tensor4d(m, [batch, 1, queries, keys]);
}

/**
 * Additive mask [T, S] for one sequence: query t (position i = offset + t) sees key s <= i unless padding, and
 * with a sliding window only keys i - window < s <= i (Mistral).
 */
export function causalMask(
  queries: number,
  offset: number,
  attentionMask?: readonly number[],
  window?: number,
): tf.Tensor2D {
  const keys = offset + queries;
  const m = new Float32Array(queries * keys);
  for (let t = 0; t < queries; t++) {
    const i = offset + t;
    for (let s = 0; s < keys; s++) {
      const visible = s <= i && (window === undefined || i - s < window);
      m[t * keys + s] = visible && (attentionMask === undefined || attentionMask[s] !== 0) ? 0 : MASKED;
    }
  }
  return tf.tensor2d(m, [queries, keys]);
}

/** Softmax attention: q [B, H, T, d], k and v [B, H, S, d], mask [B, 1, T, S] -> [B, T, H*d]. */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor3D {
  const [b, heads, t, d] = q.shape;
  const kT = tf.transpose(k, [0, 1, 3, 2]); // [B, H, d, S]
  const scores = tf.add(tf.mul(tf.matMul(q, kT), 1 / Math.sqrt(d)), mask); // [B, H, T, S]
  const out = tf.matMul(tf.softmax(scores), v); // [B, H, T, d]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b, t, heads * d]) as tf.Tensor3D;
}

/** x [..., in] @ w [in, out] (+ bias) as a 2-D product, reshaped back. */
export function linear(x: tf.Tensor, wT: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const y = tf.matMul(tf.reshape(x, [-1, inDim]), wT);
  const shaped = tf.reshape(y, [...x.shape.slice(0, -1), wT.shape[1]]);
  return bias ? tf.add(shaped, bias) : shaped;
}
