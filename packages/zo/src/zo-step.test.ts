import { flatDirection, makeQuadratic, quadraticGradient, quadraticLoss, randomParams } from '../test/quadratic';
import { CandidateSeeds } from './candidate-seeds';
import { ReferencePerturbEngine } from './reference-engine';
import { zoStep, zoStepPerturbed } from './zo-step';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(2024n, 4096);

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return m;
}

describe('zoStep', () => {
  const q = makeQuadratic(48, 64, 1);

  it('restores the weights within float32 rounding after +eps, -2eps, +eps (lr 0)', async () => {
    const params = randomParams({ a: 37, b: 27 }, 3);
    const before = params.flatten();
    for (let i = 0; i < 20; i++) {
      await zoStep(params, async (p) => quadraticLoss(q, p), {
        seedIndex: i,
        key: seeds.key(i),
        eps: 1e-3,
        lr: 0,
        engine,
      });
    }
    // Each step adds three roundings of at most half an ulp (6e-8 relative) per element.
    expect(maxRelDiff(params.flatten(), before)).toBeLessThan(20 * 3 * 6e-8);
  });

  it('estimates g = (L+ - L-) / (2 eps) and applies w - lr g z', async () => {
    const params = randomParams({ a: 37, b: 27 }, 4);
    const w0 = params.flatten();
    const eps = 1e-3;
    const lr = 1e-2;
    const r = await zoStep(params, async (p) => quadraticLoss(q, p), {
      seedIndex: 9,
      key: seeds.key(9),
      eps,
      lr,
      engine,
    });
    expect(r.skipped).toBe(false);
    expect(r.scalarGrad).toBe(Math.fround((r.lossPlus - r.lossMinus) / (2 * eps)));
    const z = flatDirection(params, seeds.key(9));
    const expected = w0.map((w, j) => w - lr * r.scalarGrad * z[j]);
    expect(maxRelDiff(params.flatten(), expected)).toBeLessThan(1e-5);
  });

  it('points along the true gradient: the mean of g z over many seeds has cosine > 0.9 with it', async () => {
    const params = randomParams({ a: 37, b: 27 }, 5);
    const grad = quadraticGradient(q, params);
    const est = new Float64Array(grad.length);
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const r = await zoStep(params, async (p) => quadraticLoss(q, p), {
        seedIndex: i,
        key: seeds.key(i),
        eps: 1e-3,
        lr: 0,
        engine,
      });
      const z = flatDirection(params, seeds.key(i));
      for (let j = 0; j < est.length; j++) est[j] += (r.scalarGrad * z[j]) / n;
    }
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < est.length; j++) {
      dot += est[j] * grad[j];
      na += est[j] * est[j];
      nb += grad[j] * grad[j];
    }
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.9);
  });

  it('lowers f when trained', async () => {
    const params = randomParams({ a: 37, b: 27 }, 6);
    const f0 = quadraticLoss(q, params);
    for (let i = 0; i < 1500; i++) {
      const s = i % 4096;
      await zoStep(params, async (p) => quadraticLoss(q, p), {
        seedIndex: s,
        key: seeds.key(s),
        eps: 1e-3,
        lr: 0.01,
        engine,
      });
    }
    expect(quadraticLoss(q, params)).toBeLessThan(0.5 * f0);
  });

  it('skips on a non-finite loss or a clipped loss difference and puts the weights back', async () => {
    const params = randomParams({ a: 10 }, 7);
    const before = params.flatten();
    const nan = await zoStep(params, async () => NaN, { seedIndex: 1, key: seeds.key(1), eps: 1e-3, lr: 1, engine });
    expect(nan).toMatchObject({ skipped: true, skipReason: 'non-finite-loss', scalarGrad: 0 });
    let calls = 0;
    const clipped = await zoStep(params, async () => (calls++ === 0 ? 10 : 0), {
      seedIndex: 2,
      key: seeds.key(2),
      eps: 1e-3,
      lr: 1,
      gradClip: 5,
      engine,
    });
    expect(clipped).toMatchObject({ skipped: true, skipReason: 'grad-clip' });
    // (1e7 - 0) / (2 * 1e-6) = 5e12 is above the API's bound 1e12: no pair could be uploaded.
    calls = 0;
    const huge = await zoStep(params, async () => (calls++ === 0 ? 1e7 : 0), {
      seedIndex: 3,
      key: seeds.key(3),
      eps: 1e-6,
      lr: 1,
      engine,
    });
    expect(huge).toMatchObject({ skipped: true, skipReason: 'scalar-out-of-range', scalarGrad: 0 });
    expect(maxRelDiff(params.flatten(), before)).toBeLessThan(4e-7);
  });

  it('puts the weights back when the loss throws, and rethrows', async () => {
    const params = randomParams({ a: 10 }, 8);
    const before = params.flatten();
    let calls = 0;
    const failing = async () => {
      if (calls++ === 1) throw new Error('forward failed');
      return 1;
    };
    await expect(
      zoStep(params, failing, { seedIndex: 3, key: seeds.key(3), eps: 1e-3, lr: 1, engine }),
    ).rejects.toThrow('forward failed');
    expect(maxRelDiff(params.flatten(), before)).toBeLessThan(4e-7);
  });

  it('rejects bad hyperparameters', async () => {
    const params = randomParams({ a: 4 }, 9);
    const loss = async () => 0;
    await expect(zoStep(params, loss, { seedIndex: 0, key: seeds.key(0), eps: 0, lr: 1, engine })).rejects.toThrow(
      RangeError,
    );
    await expect(zoStep(params, loss, { seedIndex: 0, key: seeds.key(0), eps: 1e-3, lr: -1, engine })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('zoStepPerturbed', () => {
  const q = makeQuadratic(16, 20, 2);

  /** The loss at w + scale z, evaluated on a scratch copy: the base weights are never written. */
  const lossAtOf = (params: ReturnType<typeof randomParams>) => async (pert: { key: Uint32Array; scale: number }) => {
    const scratch = params.clone();
    for (const t of scratch.tensors) engine.axpy(t.data, pert.key, t.elementOffset, pert.scale);
    return quadraticLoss(q, scratch);
  };

  it('leaves the base weights byte-identical when the step is skipped', async () => {
    const params = randomParams({ a: 20 }, 10);
    const before = Buffer.from(params.flatten().buffer);
    const r = await zoStepPerturbed(params, lossAtOf(params), {
      seedIndex: 5,
      key: seeds.key(5),
      eps: 1e-3,
      lr: 1,
      gradClip: 1e-12,
      engine,
    });
    expect(r.skipped).toBe(true);
    expect(Buffer.from(params.flatten().buffer).equals(before)).toBe(true);
  });

  it('agrees with the in-place step on g and applies exactly w + (-lr g) z', async () => {
    const a = randomParams({ a: 20 }, 11);
    const b = a.clone();
    const opts = { seedIndex: 6, key: seeds.key(6), eps: 1e-3, lr: 1e-2, engine };
    const rp = await zoStepPerturbed(a, lossAtOf(a), opts);
    const ri = await zoStep(b, async (p) => quadraticLoss(q, p), opts);
    expect(Math.abs(rp.scalarGrad - ri.scalarGrad)).toBeLessThan(1e-3 * Math.abs(ri.scalarGrad) + 1e-4);
    const expected = randomParams({ a: 20 }, 11);
    engine.axpy(expected.get('a').data, seeds.key(6), 0, -1e-2 * rp.scalarGrad);
    expect(Buffer.from(a.flatten().buffer).equals(Buffer.from(expected.flatten().buffer))).toBe(true);
  });

  it('hands the update to a PerturbTarget, once, with the step scale -lr g', async () => {
    const params = randomParams({ a: 20 }, 12);
    const calls: { key: Uint32Array; scale: number }[] = [];
    const target = { axpy: async (key: Uint32Array, scale: number) => void calls.push({ key, scale }) };
    const r = await zoStepPerturbed(target, lossAtOf(params), { seedIndex: 7, key: seeds.key(7), eps: 1e-3, lr: 0.5 });
    expect(r.skipped).toBe(false);
    expect(r.scalarGrad).not.toBe(0);
    expect(calls).toEqual([{ key: seeds.key(7), scale: -0.5 * r.scalarGrad }]);
    const skipped = await zoStepPerturbed(target, lossAtOf(params), {
      seedIndex: 7,
      key: seeds.key(7),
      eps: 1e-3,
      lr: 0.5,
      gradClip: 1e-12,
    });
    expect(skipped.skipped).toBe(true);
    expect(calls).toHaveLength(1);
  });
});
