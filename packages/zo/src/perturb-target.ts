/**
 * Where a ZO update lands when the weights are not a host ParameterSet: w <- w + scale z_key over every
 * parameter, with z the spec's direction (docs/perturbation-spec.md). A model whose weights live in an
 * accelerator's memory implements it there, so `zoStepPerturbed` and `applyDelta` never move weights through
 * the host.
 */
export interface PerturbTarget {
  axpy(key: Uint32Array, scale: number): void | Promise<void>;
  /**
   * w <- w + sum_s scales[s] z_keys[s] in one pass (a catch-up of many seeds). Optional: without it `applyDelta`
   * calls `axpy` once per seed, in order.
   */
  replay?(keys: readonly Uint32Array[], scales: Float64Array): void | Promise<void>;
}
