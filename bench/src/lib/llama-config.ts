/** The benches' LLaMA-style model configurations (@fedkseed/models ModelConfig): head size hidden / heads. */
import type { LlamaConfig } from '@fedkseed/models';

export const llama = (
  hidden: number,
  layers: number,
  heads: number,
  intermediate: number,
  vocab: number,
): LlamaConfig => ({
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  vocabSize: vocab,
  hiddenSize: hidden,
  intermediateSize: intermediate,
  numLayers: layers,
  numHeads: heads,
  numKvHeads: heads,
  headDim: hidden / heads,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositions: 256,
  tieWordEmbeddings: false,
  attentionBias: false,
});
