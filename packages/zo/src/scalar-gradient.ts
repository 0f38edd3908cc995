/** What crosses the network about a model update: a seed index and a float32 scalar gradient. */
export interface ScalarGradient {
  /** Candidate seed index in [0, K). */
  seedIndex: number;
  /** Projected gradient g = (L+ - L-) / (2 eps), a float32 value. */
  scalarGrad: number;
}

/**
 * The API's bound on |scalarGrad| (ScalarGradient.scalar_grad in proto/fedkseed/v1/scalar_gradient.proto): servers
 * refuse a larger one (SCALAR_OUT_OF_RANGE) and a local step that estimates one records no pair. Far above an
 * honest step (20 nats at eps = 1e-6 is 1e7), low enough that A and every catch-up stay finite in float32 and
 * bfloat16 whatever is accepted (a round moves A[i] by at most tau * 1e12 < 4.3e21).
 */
export const MAX_ABS_SCALAR_GRAD = 1e12;
