/**
 * A model that local training can drive without knowing where its weights live: it evaluates its loss at
 * w + scale z (the perturbation of docs/perturbation-spec.md) without writing w, and names the place where ZO
 * updates and catch-up replays land. `@fedkseed/models`' CausalLM implements it (on the host or resident in
 * TensorFlow's memory); a device can bring another runtime that does.
 */
import type { ParameterSet } from './parameter-set';
import type { PerturbTarget } from './perturb-target';

export interface ZoTrainable<B> {
  /** Loss on `batch` at w + scale z_key (at w itself when perturbation is absent); never writes w. */
  lossAt(batch: B, perturbation?: { key: Uint32Array; scale: number }): Promise<number>;
  /** Where ZO updates and catch-up replays land (w += scale z_key). */
  updateTarget(): ParameterSet | PerturbTarget;
}
