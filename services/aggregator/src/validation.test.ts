import { errorReasonToJSON, type ErrorReason, type SubmitScalarGradientsRequest } from '@fedkseed/proto';

import { checkRegistration, checkUpload, type UploadRules } from './validation';

const rules: UploadRules = { numCandidateSeeds: 16, numLocalSteps: 4, baseVersion: 2 };
const upload = (over: Partial<SubmitScalarGradientsRequest> = {}): SubmitScalarGradientsRequest => ({
  round: 3,
  modelVersion: 2,
  scalarGradients: [
    { seedIndex: 1, scalarGrad: 0.5 },
    { seedIndex: 15, scalarGrad: -2 },
  ],
  localStepsRun: 3,
  skippedSteps: 1,
  meanLocalLoss: 1.25,
  trainDurationMs: 10,
  ...over,
});
const nameOf = (reason: ErrorReason | undefined) => (reason === undefined ? undefined : errorReasonToJSON(reason));
const reasonOf = (req: SubmitScalarGradientsRequest, r: UploadRules = rules) => nameOf(checkUpload(req, r)?.reason);

describe('checkUpload', () => {
  it('accepts a consistent upload', () => {
    expect(checkUpload(upload(), rules)).toBeUndefined();
    expect(checkUpload(upload({ scalarGradients: [], localStepsRun: 0, skippedSteps: 0 }), rules)).toBeUndefined();
  });

  it('finds each problem, version first, then the pairs, then the counts', () => {
    expect(reasonOf(upload({ modelVersion: 1, meanLocalLoss: NaN }))).toBe('ERROR_REASON_STALE_VERSION');
    const five = Array.from({ length: 5 }, () => ({ seedIndex: 0, scalarGrad: 1 }));
    expect(reasonOf(upload({ scalarGradients: five, localStepsRun: 5, skippedSteps: 0 }))).toBe(
      'ERROR_REASON_TOO_MANY_PAIRS',
    );
    expect(reasonOf(upload({ scalarGradients: [{ seedIndex: 16, scalarGrad: 1 }], localStepsRun: 2 }))).toBe(
      'ERROR_REASON_SEED_INDEX_OUT_OF_RANGE',
    );
    expect(reasonOf(upload({ scalarGradients: [{ seedIndex: 0, scalarGrad: NaN }], localStepsRun: 2 }))).toBe(
      'ERROR_REASON_NON_FINITE_SCALAR',
    );
    expect(reasonOf(upload({ localStepsRun: 5, skippedSteps: 3 }))).toBe('ERROR_REASON_INVALID_FIELD');
    expect(reasonOf(upload({ localStepsRun: 2 }))).toBe('ERROR_REASON_INVALID_FIELD');
    expect(reasonOf(upload({ meanLocalLoss: Infinity }))).toBe('ERROR_REASON_INVALID_FIELD');
    expect(checkUpload(upload({ localStepsRun: 2 }), rules)?.metadata).toEqual({ field: 'local_steps_run' });
  });

  it('holds FedKSeed-Pro uploads to the assigned seeds, each as often as assigned', () => {
    const pro = { ...rules, assignedSeeds: [1, 15, 1, 7] };
    expect(checkUpload(upload(), pro)).toBeUndefined();
    const twice15 = upload({
      scalarGradients: [
        { seedIndex: 15, scalarGrad: 1 },
        { seedIndex: 15, scalarGrad: 1 },
      ],
      localStepsRun: 2,
      skippedSteps: 0,
    });
    expect(nameOf(checkUpload(twice15, pro)?.reason)).toBe('ERROR_REASON_SEED_NOT_ASSIGNED');
    expect(checkUpload(twice15, pro)?.metadata).toEqual({ position: 1, seed_index: 15 });
  });
});

describe('checkRegistration', () => {
  const reg = { displayName: 'site', numExamples: 3, clientVersion: 'sdk/1', idempotencyKey: '', queueFed: false };
  it('needs examples under data-size weighting only, and bounds the strings', () => {
    expect(checkRegistration(reg, 'data-size')).toBeUndefined();
    expect(nameOf(checkRegistration({ ...reg, numExamples: 0 }, 'data-size')?.reason)).toBe(
      'ERROR_REASON_INVALID_FIELD',
    );
    expect(checkRegistration({ ...reg, numExamples: 0 }, 'equal')).toBeUndefined();
    expect(checkRegistration({ ...reg, displayName: 'x'.repeat(65) }, 'equal')?.metadata).toEqual({
      field: 'display_name',
    });
    expect(checkRegistration({ ...reg, idempotencyKey: 'k'.repeat(129) }, 'equal')?.metadata).toEqual({
      field: 'idempotency_key',
    });
  });
});
