import { fillGaussian } from './gaussian';
import { fingerprintDistance, FINGERPRINT_RUN_SEED, modelFingerprint } from './model-fingerprint';
import { ParameterSet } from './parameter-set';
import { ReferencePerturbEngine } from './reference-engine';
import { seedKey } from './seed-key';

const engine = new ReferencePerturbEngine();

function params(): ParameterSet {
  const a = new Float32Array(37);
  const b = new Float32Array(20);
  fillGaussian(a, Uint32Array.of(1, 2), 0);
  fillGaussian(b, Uint32Array.of(3, 4), 0);
  return ParameterSet.fromRecord({ a, b });
}

describe('modelFingerprint', () => {
  it('is sum_j w[j] r_k[j] with r_k the spec direction of fingerprint key k at each tensor offset', () => {
    const p = params();
    const fp = modelFingerprint(p, 2, engine);
    for (let k = 0; k < 2; k++) {
      let want = 0;
      for (const t of p.tensors) {
        const r = new Float32Array(t.data.length);
        fillGaussian(r, seedKey(FINGERPRINT_RUN_SEED, k), t.elementOffset);
        t.data.forEach((w, j) => (want += w * r[j]));
      }
      expect(fp.projections[k]).toBeCloseTo(want, 10);
    }
    expect(fp.scheme).toBe('philox-proj-v1');
  });

  it('tells a changed model from the same one', () => {
    const p = params();
    const same = modelFingerprint(p.clone(), 4, engine);
    expect(fingerprintDistance(modelFingerprint(p, 4, engine), same)).toBe(0);
    const q = p.clone();
    q.get('b').data[7] += 0.5;
    expect(fingerprintDistance(modelFingerprint(q, 4, engine), same)).toBeGreaterThan(1e-3);
    expect(fingerprintDistance(same, { scheme: 'other', projections: same.projections })).toBe(Infinity);
  });
});
