import { SeededRandom } from '@fedkseed/zo';

import { SubmitScalarGradientsRequest } from './generated/fedkseed/v1/aggregator_service';
import { encodeUploadRequest } from './upload-encoding';

describe('encodeUploadRequest', () => {
  const random = new SeededRandom(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random.uniform() * xs.length)];
  const seeds = [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 32 - 1];
  const scalars = [0, -0, 1, -1.5, 1e-45, 3.4e38, -3.4e38, NaN, Infinity, -Infinity, 0.1];
  const uints = [0, 1, 200, 2 ** 32 - 1];

  it('writes the bytes ts-proto writes, for edge values and random uploads', () => {
    for (let i = 0; i < 2000; i++) {
      const n = i < 20 ? i : Math.floor(random.uniform() * 201);
      const message = SubmitScalarGradientsRequest.fromPartial({
        round: pick(uints),
        modelVersion: pick(uints),
        scalarGradients: Array.from({ length: n }, () => ({
          seedIndex: random.uniform() < 0.3 ? pick(seeds) : Math.floor(random.uniform() * 4096),
          scalarGrad: random.uniform() < 0.3 ? pick(scalars) : Math.fround((random.uniform() - 0.5) * 20),
        })),
        localStepsRun: pick(uints),
        skippedSteps: pick(uints),
        meanLocalLoss: pick(scalars),
        trainDurationMs: pick(uints),
        ...(random.uniform() < 0.3
          ? { baseModelFingerprint: { version: 3, scheme: 'philox-proj-v1', projections: [0.5, -2] } }
          : {}),
      });
      const expected = Buffer.from(SubmitScalarGradientsRequest.encode(message).finish());
      expect(encodeUploadRequest(message).equals(expected)).toBe(true);
    }
  });
});
