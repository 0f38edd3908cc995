/**
 * The bench model's facts: parameter counts, the FLOPs of one forward, its shape in words, a deterministic batch
 * and a checksum of the weights.
 */
import type { Batch, CausalLM, LlamaConfig, ModelConfig } from '@fedkseed/models';
import type { ParameterSet } from '@fedkseed/zo';

import { fmtInt } from '../lib/text-table';

export interface ModelFacts {
  total: number;
  embedding: number;
  lm_head: number;
  non_embedding: number;
  fp32_bytes: number;
  tokens: number;
  forward_flops: number;
  linear_flops: number;
  attention_flops: number;
  formula: string;
}

export function describeModel(model: CausalLM, cfg: ModelConfig, batch: number, seq: number): ModelFacts {
  const params = model.parameters();
  const size = (name: string) => params.tensors.find((x) => x.name === name)?.data.length ?? 0;
  const total = params.numParameters;
  const embed = size('model.embed_tokens.weight');
  const lmHead = cfg.tieWordEmbeddings ? 0 : size('lm_head.weight');
  const headParams = cfg.vocabSize * cfg.hiddenSize; // the head's matmul, tied or not
  const nonEmbedding = total - embed - lmHead;
  const tokens = batch * seq;
  const linearFlops = 2 * (nonEmbedding + headParams) * tokens;
  const attentionFlops = 4 * cfg.numLayers * seq * seq * cfg.hiddenSize * batch;
  return {
    total,
    embedding: embed,
    lm_head: lmHead,
    non_embedding: nonEmbedding,
    fp32_bytes: total * 4,
    tokens,
    forward_flops: linearFlops + attentionFlops,
    linear_flops: linearFlops,
    attention_flops: attentionFlops,
    formula:
      `FLOPs = 2 * (non-embedding params + lm_head params) * tokens + 4 * layers * seq^2 * hidden * batch` +
      ` = 2 * (${fmtInt(nonEmbedding)} + ${fmtInt(headParams)}) * ${tokens} + 4 * ${cfg.numLayers} * ${seq}^2 * ${cfg.hiddenSize} * ${batch}` +
      ` = ${((linearFlops + attentionFlops) / 1e9).toFixed(3)} GFLOP`,
  };
}

export const shapeLine = (cfg: LlamaConfig): string =>
  `LLaMA-style hidden ${cfg.hiddenSize}, ${cfg.numLayers} layers, ${cfg.numHeads} heads x ${cfg.headDim}` +
  ` (kv heads ${cfg.numKvHeads}), intermediate ${cfg.intermediateSize}, vocab ${cfg.vocabSize}, ` +
  `${cfg.tieWordEmbeddings ? 'tied' : 'untied'} head`;

/** One sequence of deterministic token ids in [0, vocab), labels = input ids. */
export function makeBatch(vocab: number, seq: number): Batch {
  const ids: number[] = [];
  let x = 0x2545f491;
  for (let i = 0; i < seq; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    ids.push(x % vocab);
  }
  return { inputIds: [ids], labels: [ids.slice()] };
}

export function paramChecksum(params: ParameterSet): number {
  let s = 0;
  for (const t of params.tensors) for (let i = 0; i < t.data.length; i++) s += t.data[i];
  return s;
}
