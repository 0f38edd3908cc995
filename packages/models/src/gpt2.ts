/**
 * GPT-2 (Radford et al. 2019): token + learned position embeddings, then per layer
 *   x = x + c_proj(attention(split(c_attn(ln_1(x)))));  x = x + mlp.c_proj(gelu_new(mlp.c_fc(ln_2(x))));
 * then ln_f and the head tied to the token embedding. Its Conv1D weights are stored [in, out] (y = x W + b), so
 * they upload without a transpose. Tensor names are GPT2LMHeadModel's, with the `transformer.` prefix.
 */
import * as tf from '@tensorflow/tfjs-core';

import { attention, attentionMaskTensor, geluNew, layerNorm, linear } from './layers';
import { outputPositions, type ForwardOptions } from './llama';
import type { Gpt2Config } from './model-config';
import type { WeightSource } from './weight-source';

export function gpt2ParameterShapes(cfg: Gpt2Config): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: f, vocabSize: v, maxPositions } = cfg;
  const shapes = new Map<string, number[]>([
    ['transformer.wte.weight', [v, h]],
    ['transformer.wpe.weight', [maxPositions, h]],
    ['transformer.ln_f.weight', [h]],
    ['transformer.ln_f.bias', [h]],
  ]);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `transformer.h.${l}`;
    for (const ln of ['ln_1', 'ln_2']) {
      shapes.set(`${p}.${ln}.weight`, [h]);
      shapes.set(`${p}.${ln}.bias`, [h]);
    }
    shapes.set(`${p}.attn.c_attn.weight`, [h, 3 * h]);
    shapes.set(`${p}.attn.c_attn.bias`, [3 * h]);
    shapes.set(`${p}.attn.c_proj.weight`, [h, h]);
    shapes.set(`${p}.attn.c_proj.bias`, [h]);
    shapes.set(`${p}.mlp.c_fc.weight`, [h, f]);
    shapes.set(`${p}.mlp.c_fc.bias`, [f]);
    shapes.set(`${p}.mlp.c_proj.weight`, [f, h]);
    shapes.set(`${p}.mlp.c_proj.bias`, [h]);
  }
  return shapes;
}

export function gpt2Forward(
  cfg: Gpt2Config,
  ws: WeightSource,
  inputIds: number[][],
  opts: ForwardOptions = {},
): tf.Tensor3D {
  const b = inputIds.length;
  const t = inputIds[0].length;
  const offset = opts.cache?.length ?? 0;
  if (offset + t > cfg.maxPositions)
    throw new RangeError(`sequence of ${offset + t} tokens exceeds n_positions ${cfg.maxPositions}`);
  const { numHeads, headDim: d, hiddenSize: h } = cfg;
  // Only the rows read: the token embedding is also the head, and the position table is maxPositions long.
  const positionIds = Array.from({ length: t }, (_, i) => offset + i);
  let x = tf.tidy(() => {
    const tokens = tf.reshape(ws.rows('transformer.wte.weight', inputIds.flat()), [b, t, h]);
    return tf.add(tokens, ws.rows('transformer.wpe.weight', positionIds)) as tf.Tensor3D;
  });
  const mask = attentionMaskTensor(b, t, offset, opts.attentionMask);
  const heads = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, numHeads, d]), [0, 2, 1, 3]) as tf.Tensor4D;
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `transformer.h.${l}`;
    const next = tf.tidy(() => {
      const n1 = layerNorm(x, ws.raw(`${p}.ln_1.weight`), ws.raw(`${p}.ln_1.bias`), cfg.layerNormEps);
      const qkv = linear(n1, ws.raw(`${p}.attn.c_attn.weight`) as tf.Tensor2D, ws.raw(`${p}.attn.c_attn.bias`)); // [B, T, 3H]
      const q = heads(tf.slice(qkv, [0, 0, 0], [-1, -1, h]));
      let k = heads(tf.slice(qkv, [0, 0, h], [-1, -1, h]));
      let v = heads(tf.slice(qkv, [0, 0, 2 * h], [-1, -1, h]));
      if (opts.cache) ({ k, v } = opts.cache.append(l, k, v));
      const a = attention(q, k, v, mask);
      const x1 = tf.add(
        x,
        linear(a, ws.raw(`${p}.attn.c_proj.weight`) as tf.Tensor2D, ws.raw(`${p}.attn.c_proj.bias`)),
      );
      const n2 = layerNorm(x1, ws.raw(`${p}.ln_2.weight`), ws.raw(`${p}.ln_2.bias`), cfg.layerNormEps);
      const mlp = linear(
        geluNew(linear(n2, ws.raw(`${p}.mlp.c_fc.weight`) as tf.Tensor2D, ws.raw(`${p}.mlp.c_fc.bias`))),
        ws.raw(`${p}.mlp.c_proj.weight`) as tf.Tensor2D,
        ws.raw(`${p}.mlp.c_proj.bias`),
      );
      return tf.add(x1, mlp);
    });
    x.dispose();
    x = next as tf.Tensor3D;
  }
  if (opts.cache) opts.cache.length += t;
  mask.dispose();
  const { positions, shape } = outputPositions(b, t, cfg.vocabSize, opts);
  const logits = tf.tidy(() => {
    const rows = positions
      ? tf.gather(tf.reshape(x, [b * t, h]), tf.tensor1d(positions, 'int32'))
      : tf.reshape(x, [b * t, h]);
    const n = layerNorm(rows, ws.raw('transformer.ln_f.weight'), ws.raw('transformer.ln_f.bias'), cfg.layerNormEps);
    // logits = n wte^T, computed as (wte n^T)^T: the stored [V, H] matrix times a small transpose, no weight transpose.
    const out = tf.transpose(tf.matMul(ws.raw('transformer.wte.weight') as tf.Tensor2D, tf.transpose(n)));
    return tf.reshape(out, shape) as tf.Tensor3D;
  });
  x.dispose();
  return logits;
}
