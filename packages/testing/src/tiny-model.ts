/**
 * Tiny random LLaMA checkpoints for tests: a config small enough that a ZO step takes milliseconds on the cpu
 * backend, and a writer that saves such a model with the byte-level BPE tokenizer of the model runtime's test
 * fixtures (288 byte tokens and merges, then <s> 288, </s> 289, <pad> 290), so that data can be encoded.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createRandomModel, type ModelConfig } from '@fedkseed/models';

/** The test tokenizer's folder (tokenizer.json, tokenizer_config.json). */
export const TEST_TOKENIZER_DIR = join(__dirname, '..', '..', 'models', 'test', 'fixtures', 'llama-gqa');

/** Token ids of the test tokenizer: its vocabulary's size and special tokens. */
export const TEST_TOKENIZER_IDS = { vocabSize: 291, bos: 288, eos: 289, pad: 290 } as const;

type LlamaModelConfig = Extract<ModelConfig, { family: 'llama' }>;

/** A one-layer LLaMA of hidden size 16 for the test tokenizer, with `overrides` applied. */
export function tinyLlamaConfig(overrides: Partial<LlamaModelConfig> = {}): LlamaModelConfig {
  return {
    family: 'llama',
    architecture: 'LlamaForCausalLM',
    vocabSize: TEST_TOKENIZER_IDS.vocabSize,
    hiddenSize: 16,
    intermediateSize: 32,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    maxPositions: 512,
    tieWordEmbeddings: false,
    attentionBias: false,
    ...overrides,
  };
}

export interface TinyModelOptions {
  /** Seed of the random weights. @default 3 */
  seed?: number;
  /** The model's config. @default tinyLlamaConfig() */
  config?: ModelConfig;
}

/** Saves a random tiny model with the test tokenizer into `dir` (a Hugging Face checkpoint folder). */
export async function writeTinyModel(dir: string, options: TinyModelOptions = {}): Promise<void> {
  const model = createRandomModel(options.config ?? tinyLlamaConfig(), options.seed ?? 3);
  try {
    await model.save(dir);
  } finally {
    model.dispose();
  }
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    await copyFile(join(TEST_TOKENIZER_DIR, file), join(dir, file));
}
