/**
 * @fedkseed/zo: the zeroth-order math of FedKSeed (Qin et al., ICML 2024, arXiv 2312.06353), pure and
 * free of I/O. Perturbation directions are regenerated from seeds (Philox4x32-10 and the float32
 * Box-Muller of docs/perturbation-spec.md), bit-identical on every engine.
 *
 * @example
 * ```ts
 * import { AssignedSeeds, CandidateSeeds, SeedSampler, aggregateRound, applyDelta, localTrain } from '@fedkseed/zo';
 *
 * // `model` is any ZoTrainable<B> (e.g. @fedkseed/models' CausalLM); `batches` yields one B per step.
 * const seeds = new CandidateSeeds(42n, 4096);
 * const controller = new AbortController();
 * const { pairs } = await localTrain({
 *   model, batches, seeds, numLocalSteps: 200, eps: 5e-4, lr: 3e-7,
 *   sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 7n }), // FedKSeed-Pro: new AssignedSeeds(indices)
 *   signal: controller.signal,
 *   onStep: (step, r) => console.log(step, r.lossPlus),
 * });
 * const { deltaSeedIndices, deltaValues } = aggregateRound(new Float64Array(4096), [{ pairs, weight: 1 }]);
 * // A catch-up lands where the model's updates land, host ParameterSet or resident weights alike.
 * await applyDelta(model.updateTarget(), { seedIndices: deltaSeedIndices, values: deltaValues }, 3e-7, undefined, seeds);
 * ```
 */
export { philox4x32_10, philoxInto } from './philox';
export { seedKey, SEED_KEY_DOMAIN } from './seed-key';
export { fillGaussian } from './gaussian';
export { CandidateSeeds } from './candidate-seeds';
export type { PerturbEngine, PerturbEngineKind } from './perturb-engine';
export { ReferencePerturbEngine } from './reference-engine';
export { createPerturbEngine, defaultPerturbEngine, type CreatePerturbEngineOptions } from './create-perturb-engine';
export {
  ParameterSet,
  assertSameParameterLayout,
  type NamedTensor,
  type ParameterLayout,
  type ParameterTensor,
} from './parameter-set';
export { MAX_ABS_SCALAR_GRAD, type ScalarGradient } from './scalar-gradient';
export type { PerturbTarget } from './perturb-target';
export type { ZoTrainable } from './zo-trainable';
export { zoStep, zoStepPerturbed, type ZoStepOptions, type ZoStepResult, type ZoSkipReason } from './zo-step';
export { SeedImportance, softmax, minMaxNormalize, type SeedImportanceOptions } from './seed-importance';
export { SeedSampler, SEED_SAMPLER_DOMAIN, type SeedSamplerOptions } from './seed-sampler';
export { AssignedSeeds, type AssignedSeedsOptions, type SeedSource } from './seed-source';
export {
  participantCount,
  participantRank,
  selectParticipants,
  PARTICIPANT_SELECTION_DOMAIN,
  type ParticipantSelectionOptions,
} from './participant-selection';
export {
  createSeedStrategy,
  taskSeedSource,
  type RoundSampling,
  type SeedImportanceState,
  type SeedStrategy,
  type SeedStrategyConfig,
  type TaskSeeds,
} from './seed-strategy';
export { UniformSeedStrategy } from './uniform-seed-strategy';
export { ImportanceSeedStrategy } from './importance-seed-strategy';
export {
  roundSamplingSeed,
  clientSamplingSeed,
  assignedSeedIndices,
  ROUND_SAMPLING_DOMAIN,
  CLIENT_SAMPLING_DOMAIN,
  type AssignedSeedIndicesOptions,
} from './sampling-seeds';
export {
  localTrain,
  type BatchSource,
  type LocalTrainOptions,
  type ModelLocalTrainOptions,
  type ParamsLocalTrainOptions,
  type LocalTrainResult,
} from './local-train';
export { aggregateRound, type AggregationOptions, type ClientUpload, type RoundAggregate } from './aggregate-round';
export { applyDelta, diffAccumulated, type KeyedSeedDelta, type SeedDelta } from './apply-delta';
export {
  modelFingerprint,
  fingerprintDistance,
  FINGERPRINT_SCHEME,
  FINGERPRINT_RUN_SEED,
  type ModelFingerprint,
} from './model-fingerprint';
export { SeededRandom } from './seeded-random';
export {
  resolveRunConfig,
  runConfigFieldProblem,
  RunConfigError,
  RUN_CONFIG_DEFAULTS,
  RUN_CONFIG_FIELDS,
  RUN_CONFIG_FIELD_NAMES,
  RUN_ID_PATTERN,
  SEED_SAMPLING_MODES,
  AGGREGATION_WEIGHTING_MODES,
  AGGREGATION_RULE_MODES,
  type AggregationRuleMode,
  type AggregationWeightingMode,
  type RunConfig,
  type RunConfigField,
  type RunConfigFieldRule,
  type RunConfigInput,
  type SeedSamplingMode,
} from './run-config';
