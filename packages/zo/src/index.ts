/**
 * @fedkseed/zo: the zeroth-order math of FedKSeed (Qin et al., ICML 2024, arXiv 2312.06353), pure and
 * free of I/O. Perturbation directions are regenerated from seeds (Philox4x32-10 and the float32
 * Box-Muller of docs/perturbation-spec.md), bit-identical on every engine.
 *
 * @example
 * ```ts
 * import { CandidateSeeds, ParameterSet, SeedSampler, createPerturbEngine, localTrain, aggregateRound, applyDelta } from '@fedkseed/zo';
 *
 * const seeds = new CandidateSeeds(42n, 4096);
 * const engine = createPerturbEngine('fast');
 * const params = ParameterSet.fromRecord({ weight: new Float32Array(1024) });
 * const { pairs } = await localTrain({
 *   params, seeds, engine, batches: myBatches(), loss: async (p, batch) => myLoss(p, batch),
 *   numLocalSteps: 200, eps: 5e-4, lr: 3e-7,
 *   sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 7n }),
 * });
 * const { deltaSeedIndices, deltaValues } = aggregateRound(new Float64Array(4096), [{ pairs, weight: 1 }]);
 * applyDelta(globalParams, { seedIndices: deltaSeedIndices, values: deltaValues }, 3e-7, engine, seeds);
 * ```
 */
export { philox4x32_10, philoxInto } from './philox';
export { seedKey, SEED_KEY_DOMAIN } from './seed-key';
export { fillGaussian } from './gaussian';
export { CandidateSeeds } from './candidate-seeds';
export type { PerturbEngine, PerturbEngineKind } from './perturb-engine';
export { ReferencePerturbEngine } from './reference-engine';
export { createPerturbEngine, defaultPerturbEngine, type CreatePerturbEngineOptions } from './create-perturb-engine';
export { ParameterSet, type NamedTensor, type ParameterTensor } from './parameter-set';
export type { ScalarGradient } from './scalar-gradient';
export type { PerturbTarget } from './perturb-target';
export { zoStep, zoStepPerturbed, type ZoStepOptions, type ZoStepResult, type ZoSkipReason } from './zo-step';
export { SeedImportance, softmax, minMaxNormalize, type SeedImportanceOptions } from './seed-importance';
export { SeedSampler, type SeedSamplerOptions } from './seed-sampler';
export { localTrain, type BatchSource, type LocalTrainOptions, type LocalTrainResult } from './local-train';
export { aggregateRound, type ClientUpload, type RoundAggregate } from './aggregate-round';
export { applyDelta, diffAccumulated, type KeyedSeedDelta, type SeedDelta } from './apply-delta';
export {
  modelFingerprint,
  fingerprintDistance,
  FINGERPRINT_SCHEME,
  FINGERPRINT_RUN_SEED,
  type ModelFingerprint,
} from './model-fingerprint';
export { SeededRandom } from './seeded-random';
