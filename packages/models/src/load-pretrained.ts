/**
 * Loading a Hugging Face checkpoint directory: config.json, model.safetensors or a sharded
 * model.safetensors.index.json, tokenizer.json. Every tensor the architecture needs must be present with its
 * shape; F16 and BF16 are widened to float32.
 */
import * as path from 'node:path';

import { ParameterSet, type PerturbEngine } from '@fedkseed/zo';

import { CausalLM, type CausalLMOptions } from './causal-lm';
import { readCheckpointJson } from './checkpoint-json';
import { gpt2ParameterShapes } from './gpt2';
import { llamaParameterShapes } from './llama';
import { ConfigError, parseModelConfig, type ModelConfig } from './model-config';
import { CheckpointError, readSafetensorsHeader, readTensor, type TensorEntry } from './safetensors';
import { ModelTokenizer } from './tokenizer';

export interface LoadOptions extends Pick<CausalLMOptions, 'weights' | 'normalGenerator'> {
  engine?: PerturbEngine;
  /** Called after each tensor is read. */
  onTensor?: (info: { name: string; index: number; total: number }) => void;
}

/** Names and shapes of the trainable tensors of a model with this config. */
export function parameterShapes(cfg: ModelConfig): Map<string, number[]> {
  return cfg.family === 'gpt2' ? gpt2ParameterShapes(cfg) : llamaParameterShapes(cfg);
}

/** Trainable parameters of a model with this config (what `selectBackend`'s `numParameters` wants). */
export function countParameters(cfg: ModelConfig): number {
  let n = 0;
  for (const shape of parameterShapes(cfg).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/** A checkpoint directory's config.json, parsed (no weights read): e.g. to size the backend before loading. */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  return (await readConfig(dir)).config;
}

async function readConfig(dir: string): Promise<{ config: ModelConfig; rawConfig: Record<string, unknown> }> {
  const configFile = path.join(dir, 'config.json');
  const rawConfig = await readCheckpointJson(configFile);
  try {
    return { config: parseModelConfig(rawConfig), rawConfig };
  } catch (err) {
    if (err instanceof ConfigError) throw new CheckpointError(err.message, configFile, undefined, { cause: err });
    throw err;
  }
}

/** Checkpoint tensors that are buffers or duplicates, not parameters. */
function isIgnorable(cfg: ModelConfig, name: string): boolean {
  if (name.endsWith('rotary_emb.inv_freq')) return true;
  if (cfg.family === 'gpt2') return /(^|\.)attn\.(masked_)?bias$/.test(name) || name === 'lm_head.weight';
  return cfg.tieWordEmbeddings && name === 'lm_head.weight';
}

/** GPT-2 checkpoints exist with and without the `transformer.` prefix. */
function canonicalName(cfg: ModelConfig, name: string): string {
  if (cfg.family === 'gpt2' && !name.startsWith('transformer.') && name !== 'lm_head.weight')
    return `transformer.${name}`;
  return name;
}

/** Where each tensor lives: one file, or the shards of an index. */
async function locateTensors(dir: string): Promise<Map<string, { file: string; entry: TensorEntry }>> {
  const single = path.join(dir, 'model.safetensors');
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  let files = [single];
  let weightMap: Record<string, string> | undefined;
  const index = await readCheckpointJson(indexFile, { optional: true });
  if (index) {
    weightMap = index.weight_map as Record<string, string>;
    if (!weightMap || typeof weightMap !== 'object') throw new CheckpointError('no "weight_map" object', indexFile);
    files = [...new Set(Object.values(weightMap))].map((f) => path.join(dir, f));
  }
  const located = new Map<string, { file: string; entry: TensorEntry }>();
  for (const file of files) {
    const { tensors } = await readSafetensorsHeader(file);
    for (const [name, entry] of tensors) {
      if (weightMap && weightMap[name] !== undefined && path.join(dir, weightMap[name]) !== file) {
        throw new CheckpointError(`index says it is in ${weightMap[name]}`, file, name);
      }
      if (located.has(name)) throw new CheckpointError(`tensor also in ${located.get(name)!.file}`, file, name);
      located.set(name, { file, entry });
    }
  }
  if (weightMap) {
    for (const [name, f] of Object.entries(weightMap)) {
      if (!located.has(name))
        throw new CheckpointError(`index lists it in ${f} but that file does not contain it`, path.join(dir, f), name);
    }
  }
  return located;
}

export async function loadPretrained(dir: string, opts: LoadOptions = {}): Promise<CausalLM> {
  const { config, rawConfig } = await readConfig(dir);
  const expected = parameterShapes(config);
  const located = await locateTensors(dir);
  const byCanonical = new Map<string, { file: string; entry: TensorEntry; stored: string }>();
  for (const [name, loc] of located) {
    const canonical = canonicalName(config, name);
    if (!expected.has(canonical)) {
      if (isIgnorable(config, name)) continue;
      throw new CheckpointError(
        `unexpected tensor: not a parameter of ${config.architecture} with this config`,
        loc.file,
        name,
      );
    }
    byCanonical.set(canonical, { ...loc, stored: name });
  }
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  let index = 0;
  for (const [name, shape] of expected) {
    const loc = byCanonical.get(name);
    if (!loc) throw new CheckpointError('missing tensor', located.size ? [...located.values()][0].file : dir, name);
    if (loc.entry.shape.join(',') !== shape.join(',')) {
      throw new CheckpointError(
        `shape [${loc.entry.shape.join(', ')}] but the config implies [${shape.join(', ')}]`,
        loc.file,
        loc.stored,
      );
    }
    tensors.push({ name, shape, data: await readTensor(loc.file, loc.stored, loc.entry) });
    opts.onTensor?.({ name, index: index++, total: expected.size });
  }
  const tokenizer = await ModelTokenizer.fromDirectory(dir, {
    bosTokenId: config.bosTokenId,
    eosTokenId: config.eosTokenId,
  });
  return new CausalLM(config, new ParameterSet(tensors), {
    tokenizer,
    engine: opts.engine,
    rawConfig,
    sourceDir: dir,
    weights: opts.weights,
    normalGenerator: opts.normalGenerator,
  });
}
