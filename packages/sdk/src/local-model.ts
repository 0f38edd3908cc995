/**
 * What the SDK trains: any runtime whose loss can be evaluated at perturbed weights and whose weights take ZO
 * updates (`ZoTrainable` of @fedkseed/zo). `CausalLM` of @fedkseed/models is one; a device may bring another.
 */
import type { ParameterSet, ZoTrainable } from '@fedkseed/zo';

export interface LocalModel<B> extends ZoTrainable<B> {
  /** A host copy of the weights, for the fingerprint check against the run (skipped when absent). */
  readParameters?(): Promise<ParameterSet>;
  /** Frees the model (called before a rebuild replaces it). */
  dispose?(): void;
}

/** Builds the model at w0, the run's base weights; the SDK calls it at start and to rebuild a diverged model. */
export type LoadBaseModel<B> = () => Promise<LocalModel<B>>;
