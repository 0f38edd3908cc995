/**
 * Writes a small random LLaMA checkpoint (config.json, model.safetensors, tokenizer files) for trying the torch port
 * of the official FedKSeed code (bench/reference/) before a real model exists. Weights: @fedkseed/models'
 * createRandomModel (normal(0, 0.02) matrices, unit norms) saved by CausalLM.save; tokenizer: the byte-level BPE of
 * 291 tokens that the model runtime's test fixtures share (packages/models/test/fixtures/llama-gqa), with its
 * model_max_length raised to the model's context.
 *
 *   npm run build
 *   node bench/make-tiny-llama.cjs --out DIR [--hidden 64] [--layers 2] [--seed 1]
 */
import fs from 'node:fs';
import path from 'node:path';

import { createRandomModel, selectBackend, type ModelConfig } from '@fedkseed/models';

import { OptionProblems, readOptions } from './lib/args';
import { REPO_ROOT } from './lib/paths';
import { runMain } from './lib/run-main';

// A data file the model runtime's tests ship, read as files (no code of the package is loaded from it).
const TOKENIZER_DIR = path.join(REPO_ROOT, 'packages', 'models', 'test', 'fixtures', 'llama-gqa');
const VOCAB_SIZE = 291; // the fixture tokenizer: 288 byte-level tokens and merges, then <s> 288, </s> 289, <pad> 290
const CONTEXT = 512;

async function main(): Promise<void> {
  const values = readOptions(
    {
      out: { type: 'string' },
      hidden: { type: 'string', default: '64' },
      layers: { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
    },
    'usage: node bench/make-tiny-llama.cjs --out DIR [--hidden 64] [--layers 2] [--seed 1]',
  );
  const p = new OptionProblems();
  const hidden = p.integer('hidden', values.hidden, 16);
  const layers = p.integer('layers', values.layers, 1);
  if (!values.out) p.add('--out is required');
  if (hidden !== undefined && hidden % 16 !== 0) p.add('--hidden must be a multiple of 16');
  p.finish();
  const out = values.out!;
  await selectBackend('cpu');
  const config: ModelConfig = {
    family: 'llama',
    architecture: 'LlamaForCausalLM',
    vocabSize: VOCAB_SIZE,
    hiddenSize: hidden!,
    intermediateSize: 2 * hidden!,
    numLayers: layers!,
    numHeads: hidden! / 16,
    numKvHeads: hidden! / 16,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    maxPositions: CONTEXT,
    tieWordEmbeddings: false,
    attentionBias: false,
    bosTokenId: 288,
    eosTokenId: 289,
  };
  const model = createRandomModel(config, BigInt(values.seed));
  await model.save(out);
  model.dispose();
  fs.copyFileSync(path.join(TOKENIZER_DIR, 'tokenizer.json'), path.join(out, 'tokenizer.json'));
  const tokConfig = JSON.parse(fs.readFileSync(path.join(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  tokConfig.model_max_length = CONTEXT;
  fs.writeFileSync(path.join(out, 'tokenizer_config.json'), JSON.stringify(tokConfig, null, 2) + '\n');
  console.error(`make-tiny-llama: hidden ${hidden}, ${layers} layers, vocab ${VOCAB_SIZE} -> ${out}`);
}

runMain(main, 'make-tiny-llama: ', true);
