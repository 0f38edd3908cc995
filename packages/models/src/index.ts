/**
 * @fedkseed/models: causal language models on TensorFlow.js for ZO fine-tuning. Hugging Face checkpoints in and
 * out (LLaMA, Mistral, Qwen2, GPT-2); the ZO engine updates the weights in place, on the host (wasm, cpu) or in
 * TensorFlow's memory (tfjs-node, tfjs-node-gpu), through `model.updateTarget()`.
 *
 * @example
 * ```ts
 * import { countParameters, loadPretrained, readModelConfig, selectBackend } from '@fedkseed/models';
 * import { CandidateSeeds, SeedSampler, localTrain } from '@fedkseed/zo';
 *
 * // The model's size decides the wasm backend's thread count (FEDKSEED_WASM_THREADS overrides it).
 * await selectBackend('auto', console.log, { numParameters: countParameters(await readModelConfig('./my-model')) });
 * const model = await loadPretrained('./my-model'); // a ZoTrainable<Batch>
 * const batch = { inputIds: [[1, 2, 3]], labels: [[-100, 2, 3]] };
 * const { pairs } = await localTrain({
 *   model, batches: [batch, batch].values(), numLocalSteps: 2, eps: 5e-4, lr: 3e-7,
 *   seeds: new CandidateSeeds(42n, 4096), sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 7n }),
 * });
 * const replica = await model.clone(); // or other.copyWeightsFrom(model), model.setParameters(params)
 * await model.save('./tuned');
 * ```
 */
export {
  selectBackend,
  parseBackendPreference,
  type BackendPreference,
  type BackendSelection,
  type SelectBackendOptions,
} from './backend';
export {
  chooseWasmThreads,
  WASM_THREADED_MIN_PARAMETERS,
  type WasmThreadChoice,
  type WasmThreadInputs,
} from './wasm-thread-count';
export { loadPretrained, parameterShapes, countParameters, readModelConfig, type LoadOptions } from './load-pretrained';
export {
  CausalLM,
  IGNORE_INDEX,
  crossEntropy,
  argmax,
  type Batch,
  type CausalLMOptions,
  type WeightPlacement,
} from './causal-lm';
export { hostNormalGenerator, type NormalGenerator } from './normal-generator';
export { tfStatelessNormalGenerator } from './tf-stateless-normal';
export { ResidentWeights } from './resident-weights';
export { createRandomModel } from './random-model';
export {
  parseModelConfig,
  toHfConfig,
  ConfigError,
  type ModelConfig,
  type LlamaConfig,
  type Gpt2Config,
} from './model-config';
export { ModelTokenizer } from './tokenizer';
export {
  CheckpointError,
  readSafetensorsHeader,
  writeSafetensors,
  decodeTensorData,
  type SafetensorsDtype,
} from './safetensors';
export { type Perturbation } from './weight-source';
