/**
 * A causal language model on TensorFlow.js whose trainable weights the ZO engine updates, and whose every
 * forward pass (optionally perturbed, w + scale z, without writing w) reads them. The weights live either
 * - on the host ('host'): a @fedkseed/zo ParameterSet that the native engine updates in place, each weight
 *   uploaded just before its layer runs (the choice for wasm and cpu, whose memory is the host's anyway); or
 * - in the backend ('resident'): tensors that stay in TensorFlow's memory (the GPU's with tfjs-node-gpu),
 *   perturbed and updated there with z from TensorFlow's stateless Philox op (the choice for the tensorflow
 *   backends).
 * `updateTarget()` is what `zoStepPerturbed` updates in either case, and the model is a `ZoTrainable<Batch>`, so
 * `localTrain({ model, ... })` drives it.
 */
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {
  defaultPerturbEngine,
  type ParameterSet,
  type PerturbEngine,
  type PerturbTarget,
  type ZoTrainable,
} from '@fedkseed/zo';

import { gpt2Forward } from './gpt2';
import { KvCache } from './kv-cache';
import { llamaForward, type ForwardOptions } from './llama';
import { toHfConfig, type ModelConfig } from './model-config';
import { writeSafetensors } from './safetensors';
import { hostNormalGenerator, type NormalGenerator } from './normal-generator';
import { ResidentWeightSource, ResidentWeights } from './resident-weights';
import { tfStatelessNormalGenerator } from './tf-stateless-normal';
import { TOKENIZER_FILES, type ModelTokenizer } from './tokenizer';
import { HostWeightSource, type Perturbation, type WeightSource } from './weight-source';

/** Where the weights live: see the class comment. */
export type WeightPlacement = 'host' | 'resident';

/** Hugging Face's ignore index: labels equal to it do not count in the loss. */
export const IGNORE_INDEX = -100;

export interface Batch {
  inputIds: number[][];
  /** Same shape as inputIds; the loss predicts labels[b][t + 1] from position t, -100 ignored. */
  labels: number[][];
  attentionMask?: number[][];
}

export interface CausalLMOptions {
  tokenizer?: ModelTokenizer;
  /** Engine for perturbed forwards. @default defaultPerturbEngine() */
  engine?: PerturbEngine;
  /** The original config.json, carried over (unknown fields included) when saving. */
  rawConfig?: Record<string, unknown>;
  /** Directory whose tokenizer files are copied on save. */
  sourceDir?: string;
  /** @default 'resident' on the tensorflow backends (tfjs-node, tfjs-node-gpu), 'host' elsewhere */
  weights?: WeightPlacement;
  /**
   * z for resident weights. @default TensorFlow's stateless Philox op on the tensorflow backends, else z made
   * by the engine on the host and uploaded
   */
  normalGenerator?: NormalGenerator;
}

export class CausalLM implements ZoTrainable<Batch> {
  readonly tokenizer: ModelTokenizer | undefined;
  readonly weightPlacement: WeightPlacement;
  private readonly engine: PerturbEngine;
  /** The weights in 'host' placement. */
  private readonly host: ParameterSet | undefined;
  /** The weights in 'resident' placement. */
  private readonly resident: ResidentWeights | undefined;
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    params: ParameterSet,
    private readonly options: CausalLMOptions = {},
  ) {
    this.tokenizer = options.tokenizer;
    this.engine = options.engine ?? defaultPerturbEngine();
    const onTensorflow = tf.getBackend() === 'tensorflow';
    this.weightPlacement = options.weights ?? (onTensorflow ? 'resident' : 'host');
    if (this.weightPlacement === 'host') {
      this.host = params;
    } else {
      const generate =
        options.normalGenerator ?? (onTensorflow ? tfStatelessNormalGenerator() : hostNormalGenerator(this.engine));
      this.resident = new ResidentWeights(params, generate);
    }
  }

  /**
   * The trainable weights (checkpoint names and layouts, canonical order) as the host ParameterSet the ZO
   * engine updates in place. Only in 'host' placement: resident weights have no live host copy (use
   * `updateTarget()` for updates, `readParameters()` for a copy).
   */
  parameters(): ParameterSet {
    if (!this.host)
      throw new Error(
        'CausalLM: the weights are resident in the backend; pass model.updateTarget() to zoStepPerturbed and use model.readParameters() for a host copy',
      );
    return this.host;
  }

  /** What a ZO update or a model pull writes: the host ParameterSet, or the resident weights. */
  updateTarget(): ParameterSet | PerturbTarget {
    return this.host ?? this.resident!;
  }

  /** The weights on the host: the live ParameterSet in 'host' placement, a copy in 'resident' placement. */
  async readParameters(): Promise<ParameterSet> {
    return this.host ?? this.resident!.read();
  }

  /**
   * Overwrites the weights with `params`' values, in either placement: copied into the host ParameterSet (whose
   * arrays stay the ones `parameters()` returned) or uploaded over the resident tensors. Names and shapes must
   * match; nothing changes otherwise. `params` is not referenced afterwards.
   */
  setParameters(params: ParameterSet): void {
    if (this.disposed) throw new Error('CausalLM: the model was disposed');
    if (this.host) this.host.copyFrom(params);
    else this.resident!.assign(params);
  }

  /** Copies another model's weights into this one (any placement to any placement). */
  async copyWeightsFrom(other: CausalLM): Promise<void> {
    this.setParameters(await other.readParameters());
  }

  /** A new model with this one's config, options and placement, and a copy of its current weights. */
  async clone(): Promise<CausalLM> {
    const params = await this.readParameters();
    return new CausalLM(this.config, this.host ? params.clone() : params, {
      ...this.options,
      weights: this.weightPlacement,
    });
  }

  private checkIds(inputIds: number[][]): void {
    if (this.disposed) throw new Error('CausalLM: the model was disposed');
    if (inputIds.length === 0 || inputIds[0].length === 0)
      throw new RangeError('inputIds must be a non-empty [batch][seq] array');
    const t = inputIds[0].length;
    for (const row of inputIds) {
      if (row.length !== t)
        throw new RangeError('inputIds rows must have equal lengths (pad them and pass an attentionMask)');
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize)
          throw new RangeError(`token id ${id} is outside [0, ${this.config.vocabSize})`);
      }
    }
  }

  private forward(inputIds: number[][], opts: ForwardOptions, perturbation?: Perturbation): tf.Tensor3D {
    const ws: WeightSource = this.host
      ? new HostWeightSource(this.host, this.engine, perturbation)
      : new ResidentWeightSource(this.resident!, perturbation);
    return this.config.family === 'gpt2'
      ? gpt2Forward(this.config, ws, inputIds, opts)
      : llamaForward(this.config, ws, inputIds, opts);
  }

  /** Logits, row-major [batch, seq, vocab]. */
  async logits(
    inputIds: number[][],
    opts: { attentionMask?: number[][]; perturbation?: Perturbation } = {},
  ): Promise<Float32Array> {
    this.checkIds(inputIds);
    const out = this.forward(inputIds, { attentionMask: opts.attentionMask }, opts.perturbation);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** Mean next-token cross-entropy over labels that are not -100 (Hugging Face semantics); NaN if none count. */
  async loss(batch: Batch, perturbation?: Perturbation): Promise<number> {
    const { inputIds, labels } = batch;
    if (labels.length !== inputIds.length || labels.some((row, b) => row.length !== inputIds[b].length)) {
      throw new RangeError('labels must have the shape of inputIds');
    }
    this.checkIds(inputIds);
    const t = inputIds[0].length;
    const positions: number[] = [];
    const targets: number[] = [];
    labels.forEach((row, b) => {
      for (let i = 0; i + 1 < t; i++) {
        if (row[i + 1] === IGNORE_INDEX) continue;
        positions.push(b * t + i);
        targets.push(row[i + 1]);
      }
    });
    if (positions.length === 0) return NaN;
    const v = this.config.vocabSize;
    for (const target of targets) {
      if (!Number.isInteger(target) || target < 0 || target >= v)
        throw new RangeError(`label ${target} is outside [0, ${v})`);
    }
    const logits = this.forward(inputIds, { attentionMask: batch.attentionMask, positions }, perturbation);
    // -log softmax at each target, on the backend: only one number per counted position comes back to the host.
    const picked = tf.tidy(() => {
      const logProbs = tf.reshape(tf.logSoftmax(tf.reshape(logits, [positions.length, v])), [-1]);
      return tf.gather(
        logProbs,
        tf.tensor1d(
          targets.map((target, i) => i * v + target),
          'int32',
        ),
      );
    });
    logits.dispose();
    try {
      let total = 0;
      for (const logProb of (await picked.data()) as Float32Array) total -= logProb;
      return total / targets.length;
    } finally {
      picked.dispose();
    }
  }

  /** ZoTrainable: the loss at w + scale z (at w when `perturbation` is absent), w never written. */
  lossAt(batch: Batch, perturbation?: Perturbation): Promise<number> {
    return this.loss(batch, perturbation);
  }

  /** Greedy decoding with a KV cache: the new tokens (without the prompt), stopping after `eos` if given. */
  async generate(prompt: number[], opts: { maxNewTokens: number; eos?: number }): Promise<number[]> {
    this.checkIds([prompt]);
    const limit = this.config.maxPositions - prompt.length;
    const steps = Math.min(opts.maxNewTokens, limit);
    const cache = new KvCache(this.config.numLayers);
    const out: number[] = [];
    try {
      let next = [prompt];
      for (let i = 0; i < steps; i++) {
        const logits = this.forward(next, { cache, lastOnly: true });
        const row = (await logits.data()) as Float32Array;
        logits.dispose();
        const token = argmax(row);
        out.push(token);
        if (token === opts.eos) break;
        next = [[token]];
      }
    } finally {
      cache.dispose();
    }
    return out;
  }

  /** Writes config.json, model.safetensors (float32) and the tokenizer files in Hugging Face layout. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const params = await this.readParameters();
    const tensors = new Map(params.tensors.map((t) => [t.name, { shape: t.shape, data: t.data }]));
    await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify(toHfConfig(this.config, this.options.rawConfig), null, 2) + '\n',
    );
    const source = this.options.sourceDir;
    if (source && path.resolve(source) !== path.resolve(dir)) {
      for (const f of TOKENIZER_FILES) {
        await copyFile(path.join(source, f), path.join(dir, f)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.resident?.dispose();
  }
}

/** Index of the largest value, the lowest index on ties. */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Mean over counted positions of -log softmax(logits[b, t])[labels[b][t + 1]], in float64. */
export function crossEntropy(logits: Float32Array, labels: number[][], vocabSize: number): number {
  const t = labels[0].length;
  let total = 0;
  let count = 0;
  for (let b = 0; b < labels.length; b++) {
    for (let i = 0; i + 1 < t; i++) {
      const target = labels[b][i + 1];
      if (target === IGNORE_INDEX) continue;
      if (!Number.isInteger(target) || target < 0 || target >= vocabSize)
        throw new RangeError(`label ${target} is outside [0, ${vocabSize})`);
      const base = (b * t + i) * vocabSize;
      let max = -Infinity;
      for (let v = 0; v < vocabSize; v++) if (logits[base + v] > max) max = logits[base + v];
      let sum = 0;
      for (let v = 0; v < vocabSize; v++) sum += Math.exp(logits[base + v] - max);
      total += Math.log(sum) + max - logits[base + target];
      count++;
    }
  }
  return count === 0 ? NaN : total / count;
}
