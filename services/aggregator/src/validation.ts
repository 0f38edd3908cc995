/**
 * Request checks that need no state beyond the round's fixed facts, run before anything is stored. They
 * return the first problem as an ApiError (with the reason and metadata errors.proto lists) instead of
 * throwing, so the service can report state problems that the API ranks earlier (duplicate, round closed,
 * not selected) ahead of them. The order within follows the API: version, then the pairs, then the counts.
 */
import { ErrorReason, type RegisterClientRequest, type SubmitScalarGradientsRequest } from '@fedkseed/proto';
import { ApiError, scalarPairProblem } from '@fedkseed/service-kit';
import { fingerprintProblem } from '@fedkseed/store';
import type { AggregationWeightingMode } from '@fedkseed/zo';

export const MAX_DISPLAY_NAME_LENGTH = 64;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_CLIENT_VERSION_LENGTH = 128;

/** What an upload is checked against. */
export interface UploadRules {
  /** K. */
  numCandidateSeeds: number;
  /** tau: most pairs and most local steps. */
  numLocalSteps: number;
  /** The model version the round trains from (its store round number). */
  baseVersion: number;
  /** FedKSeed-Pro: the seed indices the round assigned this client, one per local step. */
  assignedSeeds?: readonly number[];
}

function invalidField(field: string, message: string): ApiError {
  return new ApiError(ErrorReason.ERROR_REASON_INVALID_FIELD, message, { field });
}

/** The first problem of an upload, or undefined when it may be stored. */
export function checkUpload(request: SubmitScalarGradientsRequest, rules: UploadRules): ApiError | undefined {
  if (request.modelVersion !== rules.baseVersion)
    return new ApiError(
      ErrorReason.ERROR_REASON_STALE_VERSION,
      `the round trains from model version ${rules.baseVersion}, the upload says ${request.modelVersion}`,
      { model_version: request.modelVersion, base_version: rules.baseVersion },
    );
  const pairs = request.scalarGradients;
  if (pairs.length > rules.numLocalSteps)
    return new ApiError(
      ErrorReason.ERROR_REASON_TOO_MANY_PAIRS,
      `${pairs.length} pairs, at most ${rules.numLocalSteps} allowed`,
      {
        count: pairs.length,
        max_count: rules.numLocalSteps,
      },
    );
  // Each assigned index may be used as often as it was assigned (a skipped step uploads nothing).
  let unused: Map<number, number> | undefined;
  if (rules.assignedSeeds) {
    unused = new Map();
    for (const i of rules.assignedSeeds) unused.set(i, (unused.get(i) ?? 0) + 1);
  }
  for (let position = 0; position < pairs.length; position++) {
    const pairProblem = scalarPairProblem(position, pairs[position], rules.numCandidateSeeds);
    if (pairProblem) return pairProblem;
    const { seedIndex } = pairs[position];
    if (unused) {
      const left = unused.get(seedIndex) ?? 0;
      if (left === 0)
        return new ApiError(
          ErrorReason.ERROR_REASON_SEED_NOT_ASSIGNED,
          `pair ${position}: seed index ${seedIndex} was not assigned (or is used more often than assigned)`,
          { position, seed_index: seedIndex },
        );
      unused.set(seedIndex, left - 1);
    }
  }
  if (request.localStepsRun > rules.numLocalSteps)
    return invalidField(
      'local_steps_run',
      `local_steps_run ${request.localStepsRun} exceeds the round's ${rules.numLocalSteps} steps`,
    );
  if (request.localStepsRun !== pairs.length + request.skippedSteps)
    return invalidField(
      'local_steps_run',
      `local_steps_run ${request.localStepsRun} must equal the ${pairs.length} pairs plus ${request.skippedSteps} skipped steps`,
    );
  if (!Number.isFinite(request.meanLocalLoss))
    return invalidField('mean_local_loss', `mean_local_loss ${request.meanLocalLoss} is not finite`);
  const fingerprint = request.baseModelFingerprint;
  if (fingerprint) {
    const field = 'base_model_fingerprint';
    if (fingerprint.version !== request.modelVersion)
      return invalidField(field, `its version ${fingerprint.version} is not model_version ${request.modelVersion}`);
    const problem = fingerprintProblem(fingerprint);
    if (problem) return invalidField(field, problem);
  }
  return undefined;
}

/** The first problem of a registration, or undefined. */
export function checkRegistration(
  request: RegisterClientRequest,
  weighting: AggregationWeightingMode,
): ApiError | undefined {
  if (weighting === 'data-size' && request.numExamples < 1)
    return invalidField('num_examples', 'num_examples must be >= 1 with data-size weighting');
  if ([...request.displayName].length > MAX_DISPLAY_NAME_LENGTH)
    return invalidField('display_name', `display_name must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`);
  if ([...request.clientVersion].length > MAX_CLIENT_VERSION_LENGTH)
    return invalidField('client_version', `client_version must be at most ${MAX_CLIENT_VERSION_LENGTH} characters`);
  if ([...request.idempotencyKey].length > MAX_IDEMPOTENCY_KEY_LENGTH)
    return invalidField('idempotency_key', `idempotency_key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  if (!isWellFormed(request.displayName) || !isWellFormed(request.idempotencyKey))
    return invalidField('display_name', 'strings must be valid Unicode');
  return undefined;
}

/** No lone surrogates (the store keeps UTF-8). */
function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}
