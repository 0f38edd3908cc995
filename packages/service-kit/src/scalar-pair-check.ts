/**
 * The API's checks of one (seed_index, scalar_grad) pair, shared by every service that accepts pairs (the
 * aggregator's uploads, the seed-probability service's round scalars): the index in [0, K), the scalar finite and
 * within the API's bound MAX_ABS_SCALAR_GRAD, each refused with its own reason and the metadata errors.proto lists.
 */
import { ErrorReason, type ScalarGradient } from '@fedkseed/proto';
import { MAX_ABS_SCALAR_GRAD } from '@fedkseed/zo';

import { ApiError } from './service-error';

/** The first problem of the pair at `position`, or undefined. */
export function scalarPairProblem(
  position: number,
  pair: ScalarGradient,
  numCandidateSeeds: number,
): ApiError | undefined {
  const { seedIndex, scalarGrad } = pair;
  if (!(seedIndex < numCandidateSeeds))
    return new ApiError(
      ErrorReason.ERROR_REASON_SEED_INDEX_OUT_OF_RANGE,
      `pair ${position}: seed index ${seedIndex} is not in [0, ${numCandidateSeeds})`,
      { position, seed_index: seedIndex, num_candidate_seeds: numCandidateSeeds },
    );
  if (!Number.isFinite(scalarGrad))
    return new ApiError(ErrorReason.ERROR_REASON_NON_FINITE_SCALAR, `pair ${position}: scalar gradient ${scalarGrad}`, {
      position,
    });
  if (Math.abs(scalarGrad) > MAX_ABS_SCALAR_GRAD)
    return new ApiError(
      ErrorReason.ERROR_REASON_SCALAR_OUT_OF_RANGE,
      `pair ${position}: |scalar gradient| ${Math.abs(scalarGrad)} exceeds ${MAX_ABS_SCALAR_GRAD}`,
      { position, max_abs_scalar_grad: MAX_ABS_SCALAR_GRAD },
    );
  return undefined;
}
