/**
 * @fedkseed/models: causal language models on TensorFlow.js for ZO fine-tuning. Hugging Face checkpoints in and
 * out (LLaMA, Mistral, Qwen2, GPT-2); the ZO engine updates the weights in place, on the host (wasm, cpu) or in
 * TensorFlow's memory (tfjs-node, tfjs-node-gpu), through `model.updateTarget()`.
 *
 * @example
 * ```ts
 * import { selectBackend, loadPretrained } from '@fedkseed/models';
 * import { CandidateSeeds, SeedSampler, localTrain } from '@fedkseed/zo';
 *
 * await selectBackend('auto', console.log);
 * const model = await loadPretrained('./my-model'); // a ZoTrainable<Batch>
 * const batch = { inputIds: [[1, 2, 3]], labels: [[-100, 2, 3]] };
 * const { pairs } = await localTrain({
 *   model, batches: [batch, batch].values(), numLocalSteps: 2, eps: 5e-4, lr: 3e-7,
 *   seeds: new CandidateSeeds(42n, 4096), sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 7n }),
 * });
 * await model.save('./tuned');
 * ```
 */
export { selectBackend, parseBackendPreference, type BackendPreference, type BackendSelection } from './backend';
export { loadPretrained, parameterShapes, type LoadOptions } from './load-pretrained';
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
