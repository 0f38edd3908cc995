#!/usr/bin/env node
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
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { createRandomModel, selectBackend } = require('@fedkseed/models');

const TOKENIZER_DIR = path.join(__dirname, '..', 'packages', 'models', 'test', 'fixtures', 'llama-gqa');
const VOCAB_SIZE = 291; // the fixture tokenizer: 288 byte-level tokens and merges, then <s> 288, </s> 289, <pad> 290
const CONTEXT = 512;

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      hidden: { type: 'string', default: '64' },
      layers: { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
    },
  });
  const hidden = Number(values.hidden);
  const layers = Number(values.layers);
  const problems = [];
  if (!values.out) problems.push('--out is required');
  if (!Number.isInteger(hidden) || hidden < 16 || hidden % 16 !== 0) problems.push('--hidden must be a multiple of 16');
  if (!Number.isInteger(layers) || layers < 1) problems.push('--layers must be a positive integer');
  if (problems.length) throw new Error(problems.join('\n'));
  await selectBackend('cpu');
  const config = {
    family: 'llama',
    architecture: 'LlamaForCausalLM',
    vocabSize: VOCAB_SIZE,
    hiddenSize: hidden,
    intermediateSize: 2 * hidden,
    numLayers: layers,
    numHeads: hidden / 16,
    numKvHeads: hidden / 16,
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
  await model.save(values.out);
  model.dispose();
  fs.copyFileSync(path.join(TOKENIZER_DIR, 'tokenizer.json'), path.join(values.out, 'tokenizer.json'));
  const tokConfig = JSON.parse(fs.readFileSync(path.join(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8'));
  tokConfig.model_max_length = CONTEXT;
  fs.writeFileSync(path.join(values.out, 'tokenizer_config.json'), JSON.stringify(tokConfig, null, 2) + '\n');
  console.error(`make-tiny-llama: hidden ${hidden}, ${layers} layers, vocab ${VOCAB_SIZE} -> ${values.out}`);
}

main().catch((err) => {
  console.error(`make-tiny-llama: ${err.message}`);
  process.exit(1);
});
