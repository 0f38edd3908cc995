/** Tiny model configurations the runtime tests share (random weights come from createRandomModel). */
import type { ModelConfig } from '../src';

/** LLaMA family as Qwen2: grouped-query attention (4 heads, 2 kv heads), q/k/v biases, untied head. */
export const TINY_QWEN2: ModelConfig = {
  family: 'llama',
  architecture: 'Qwen2ForCausalLM',
  vocabSize: 50,
  hiddenSize: 32,
  intermediateSize: 48,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositions: 64,
  tieWordEmbeddings: false,
  attentionBias: true,
};

/** The same shape as plain LLaMA (no biases). */
export const TINY_LLAMA: ModelConfig = { ...TINY_QWEN2, architecture: 'LlamaForCausalLM', attentionBias: false };

/** GPT-2 with its head tied to the token embedding. */
export const TINY_GPT2: ModelConfig = {
  family: 'gpt2',
  architecture: 'GPT2LMHeadModel',
  vocabSize: 50,
  hiddenSize: 32,
  intermediateSize: 128,
  numLayers: 2,
  numHeads: 4,
  headDim: 8,
  layerNormEps: 1e-5,
  maxPositions: 32,
  tieWordEmbeddings: true,
};
