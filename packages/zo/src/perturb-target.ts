/**
 * Where a ZO update lands when the weights are not a host ParameterSet: w <- w + scale z_key over every
 * parameter, with z the spec's direction (docs/perturbation-spec.md). A model whose weights live in an
 * accelerator's memory implements it there, so `zoStepPerturbed` never moves weights through the host.
 */
export interface PerturbTarget {
  axpy(key: Uint32Array, scale: number): void | Promise<void>;
}
