/**
 * LLaMA-family decoder (Touvron et al. 2023; Mistral and Qwen2 share it): token embedding, then per layer
 *   h = x + o_proj(attention(rope(q), rope(k), v))  over rmsnorm(x), grouped-query heads;
 *   x = h + down_proj(silu(gate_proj(n)) * up_proj(n)),  n = rmsnorm(h);
 * then a final rmsnorm and the language-model head (tied to the embedding or not). Tensor names and layouts are
 * Hugging Face's; linear weights [out, in].
 *
 * Activations are kept transposed, [features, tokens], so every linear layer is W X^T with W exactly as stored:
 * tfjs-wasm multiplies A B an order of magnitude faster than A B^T, and no weight is ever transposed. Attention
 * runs per head as 2-D products (tfjs-wasm's batched matMul is slower than a loop of 2-D ones).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { KvCache } from './kv-cache';
import { causalMask } from './layers';
import type { LlamaConfig } from './model-config';
import type { WeightSource } from './weight-source';

export interface ForwardOptions {
  /** 1 for real tokens, 0 for padding, [B][S] with S = cache length + T. */
  attentionMask?: number[][];
  /** Key/value cache (batch size 1). */
  cache?: KvCache;
  /** Only the last position's logits ([B, 1, V]). */
  lastOnly?: boolean;
  /**
   * Only these positions' logits, as flat indices b * T + t, returned as [1, n, V]: the loss needs the head
   * only where a label counts.
   */
  positions?: number[];
}

/** The flat token positions whose logits a forward returns (undefined: all of them) and the logits' shape. */
export function outputPositions(
  batch: number,
  t: number,
  vocabSize: number,
  opts: ForwardOptions,
): { positions: number[] | undefined; shape: [number, number, number] } {
  if (opts.lastOnly)
    return { positions: Array.from({ length: batch }, (_, b) => b * t + t - 1), shape: [batch, 1, vocabSize] };
  if (opts.positions) return { positions: opts.positions, shape: [1, opts.positions.length, vocabSize] };
  return { positions: undefined, shape: [batch, t, vocabSize] };
}

/** Parameter names and shapes of a LLaMA-family model. */
export function llamaParameterShapes(cfg: LlamaConfig): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: f, numHeads, numKvHeads, headDim: d, vocabSize: v } = cfg;
  const shapes = new Map<string, number[]>([
    ['model.embed_tokens.weight', [v, h]],
    ['model.norm.weight', [h]],
  ]);
  if (!cfg.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    shapes.set(`${p}.self_attn.q_proj.weight`, [numHeads * d, h]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [numKvHeads * d, h]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [numKvHeads * d, h]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, numHeads * d]);
    if (cfg.attentionBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [numHeads * d]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [numKvHeads * d]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [numKvHeads * d]);
    }
    shapes.set(`${p}.mlp.gate_proj.weight`, [f, h]);
    shapes.set(`${p}.mlp.up_proj.weight`, [f, h]);
    shapes.set(`${p}.mlp.down_proj.weight`, [h, f]);
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
  }
  return shapes;
}

/** RMSNorm over features of X^T [H, N]: x / sqrt(mean(x^2) + eps) * w. */
function rmsNormCols(xT: tf.Tensor2D, weight: tf.Tensor, eps: number): tf.Tensor2D {
  const variance = tf.mean(tf.square(xT), 0, true); // [1, N]
  return tf.mul(tf.mul(xT, tf.rsqrt(tf.add(variance, eps))), tf.reshape(weight, [-1, 1])) as tf.Tensor2D;
}

/** W [out, in] X^T [in, N] (+ bias) -> [out, N]. */
function projCols(weight: tf.Tensor, xT: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(weight as tf.Tensor2D, xT) as tf.Tensor2D;
  return bias ? (tf.add(y, tf.reshape(bias, [-1, 1])) as tf.Tensor2D) : y;
}

/** cos and sin [d, N] for token columns: column b*T + t sits at position offset + t (HF's duplicated halves). */
function ropeColumns(
  batch: number,
  t: number,
  offset: number,
  d: number,
  theta: number,
): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const n = batch * t;
  const half = d / 2;
  const cos = new Float32Array(d * n);
  const sin = new Float32Array(d * n);
  for (let i = 0; i < half; i++) {
    const invFreq = 1 / Math.pow(theta, (2 * i) / d);
    for (let col = 0; col < n; col++) {
      const angle = (offset + (col % t)) * invFreq;
      cos[i * n + col] = cos[(i + half) * n + col] = Math.cos(angle);
      sin[i * n + col] = sin[(i + half) * n + col] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [d, n]), sin: tf.tensor2d(sin, [d, n]) };
}

/** Rotary embedding on X^T [heads*d, N], HF's rotate-half within each head: x cos + rotate_half(x) sin. */
function ropeCols(xT: tf.Tensor2D, heads: number, d: number, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor2D {
  const n = xT.shape[1];
  const x3 = tf.reshape(xT, [heads, d, n]);
  const x1 = tf.slice(x3, [0, 0, 0], [-1, d / 2, -1]);
  const x2 = tf.slice(x3, [0, d / 2, 0], [-1, d / 2, -1]);
  const rotated = tf.concat([tf.neg(x2), x1], 1);
  return tf.reshape(tf.add(tf.mul(x3, cos), tf.mul(rotated, sin)), [heads * d, n]) as tf.Tensor2D;
}

/**
 * Causal attention per sequence and head on transposed activations: qT [nh*d, B*T], kT and vT [nkv*d, B*S]
 * (S = keys per sequence) -> oT [nh*d, B*T]. Query head h reads kv head floor(h / groups) (HF's repeat_kv).
 */
function attentionCols(
  qT: tf.Tensor2D,
  kT: tf.Tensor2D,
  vT: tf.Tensor2D,
  cfg: LlamaConfig,
  batch: number,
  t: number,
  s: number,
  masks: tf.Tensor2D[],
): tf.Tensor2D {
  const { numHeads, numKvHeads, headDim: d } = cfg;
  const groups = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(d);
  // Queries scaled and turned to rows once per layer: per head that leaves one slice of each operand.
  const qRows = tf.transpose(tf.mul(qT, scale)) as tf.Tensor2D; // [B*T, nh*d]
  const perBatch: tf.Tensor2D[] = [];
  for (let b = 0; b < batch; b++) {
    const heads: tf.Tensor2D[] = [];
    for (let h = 0; h < numHeads; h++) {
      const j = Math.floor(h / groups);
      const q = tf.slice(qRows, [b * t, h * d], [t, d]); // [T, d]
      const kTj = tf.slice(kT, [j * d, b * s], [d, s]); // [d, S]
      const vTj = tf.slice(vT, [j * d, b * s], [d, s]); // [d, S]
      const p = tf.softmax(tf.add(tf.matMul(q, kTj), masks[b])) as tf.Tensor2D; // [T, S]
      heads.push(tf.matMul(vTj, tf.transpose(p))); // [d, T]
    }
    perBatch.push(tf.concat(heads, 0));
  }
  return batch === 1 ? perBatch[0] : (tf.concat(perBatch, 1) as tf.Tensor2D);
}

/** Logits [B, T, V] (or [B, 1, V] with lastOnly) for token ids [B][T]. */
export function llamaForward(
  cfg: LlamaConfig,
  ws: WeightSource,
  inputIds: number[][],
  opts: ForwardOptions = {},
): tf.Tensor3D {
  const batch = inputIds.length;
  const t = inputIds[0].length;
  const cache = opts.cache;
  if (cache && batch !== 1) throw new RangeError('a KV cache serves one sequence');
  const offset = cache?.length ?? 0;
  const s = offset + t;
  const { numHeads, numKvHeads, headDim: d } = cfg;
  let xT = tf.tidy(() => tf.transpose(ws.rows('model.embed_tokens.weight', inputIds.flat())) as tf.Tensor2D); // [H, B*T]
  const { cos, sin } = ropeColumns(batch, t, offset, d, cfg.ropeTheta);
  const masks = Array.from({ length: batch }, (_, b) =>
    causalMask(t, offset, opts.attentionMask?.[b], cfg.slidingWindow),
  );
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const next = tf.tidy(() => {
      const n1 = rmsNormCols(xT, ws.raw(`${p}.input_layernorm.weight`), cfg.rmsNormEps);
      const bias = (name: string) => (cfg.attentionBias ? ws.raw(`${p}.self_attn.${name}.bias`) : undefined);
      const qT = ropeCols(projCols(ws.raw(`${p}.self_attn.q_proj.weight`), n1, bias('q_proj')), numHeads, d, cos, sin);
      let kT = ropeCols(projCols(ws.raw(`${p}.self_attn.k_proj.weight`), n1, bias('k_proj')), numKvHeads, d, cos, sin);
      let vT = projCols(ws.raw(`${p}.self_attn.v_proj.weight`), n1, bias('v_proj'));
      if (cache) ({ k: kT, v: vT } = cache.append(l, kT, vT, 1));
      const oT = attentionCols(qT, kT, vT, cfg, batch, t, s, masks);
      const h = tf.add(xT, projCols(ws.raw(`${p}.self_attn.o_proj.weight`), oT)) as tf.Tensor2D;
      const n2 = rmsNormCols(h, ws.raw(`${p}.post_attention_layernorm.weight`), cfg.rmsNormEps);
      const gate = projCols(ws.raw(`${p}.mlp.gate_proj.weight`), n2);
      const up = projCols(ws.raw(`${p}.mlp.up_proj.weight`), n2);
      const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // silu(gate) * up
      return tf.add(h, projCols(ws.raw(`${p}.mlp.down_proj.weight`), act)) as tf.Tensor2D;
    });
    xT.dispose();
    xT = next;
  }
  if (cache) cache.length += t;
  for (const m of [cos, sin, ...masks]) m.dispose();
  const { positions, shape } = outputPositions(batch, t, cfg.vocabSize, opts);
  const logits = tf.tidy(() => {
    const cols = positions ? (tf.gather(xT, tf.tensor1d(positions, 'int32'), 1) as tf.Tensor2D) : xT;
    const n = rmsNormCols(cols, ws.raw('model.norm.weight'), cfg.rmsNormEps);
    const head = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const rows = tf.transpose(projCols(ws.raw(head), n)); // [columns, V]
    return tf.reshape(rows, shape) as tf.Tensor3D;
  });
  xT.dispose();
  return logits;
}
