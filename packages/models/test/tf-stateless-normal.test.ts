/**
 * TensorFlow's stateless Philox normal op as the spec's z, and a resident model on it. Runs only where
 * @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu loads (their install downloads libtensorflow, which this
 * project's build machines cannot); elsewhere the suite is skipped and its title says why.
 */
import { CandidateSeeds, ReferencePerturbEngine, fillGaussian, zoStepPerturbed } from '@fedkseed/zo';

import { createRandomModel, selectBackend, tfStatelessNormalGenerator } from '../src';

import { maxAbsDiff } from './max-abs-diff';
import { TINY_LLAMA as LLAMA } from './tiny-configs';

/** The best tensorflow backend that loads here, or why none does (not installed, or installed without its binding). */
function loadableTensorflow(): { candidate?: 'tensorflow-gpu' | 'tensorflow'; why: string } {
  const reasons: string[] = [];
  for (const [pkg, name] of [
    ['@tensorflow/tfjs-node-gpu', 'tensorflow-gpu'],
    ['@tensorflow/tfjs-node', 'tensorflow'],
  ] as const) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(pkg);
      return { candidate: name, why: '' };
    } catch (err) {
      reasons.push(`${pkg}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 120)}`);
    }
  }
  return { why: reasons.join('; ') };
}

const { candidate, why } = loadableTensorflow();
const suite = candidate ? describe : describe.skip;
const title = candidate
  ? `StatelessRandomNormalV2 on ${candidate}`
  : `StatelessRandomNormalV2 (skipped: no tensorflow backend loads here: ${why})`;

suite(title, () => {
  const seeds = new CandidateSeeds(0xc0ffeen, 4096);

  beforeAll(async () => {
    await selectBackend(candidate!);
  });

  it.each([
    ['offset 0', 3, 0, [1000]],
    ['a matrix at an offset', 4095, 4 * 12345, [17, 33]],
    ['past 2^32 Philox blocks (counter word 1)', 7, 4 * 2 ** 32 + 8, [64]],
  ])('matches the spec engine to 4e-6 (%s)', async (_what, seedIndex, elementOffset, shape) => {
    const generate = tfStatelessNormalGenerator();
    const z = generate(shape, seeds.key(seedIndex), elementOffset);
    const got = (await z.data()) as Float32Array;
    z.dispose();
    const want = new Float32Array(got.length);
    fillGaussian(want, seeds.key(seedIndex), elementOffset);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(4e-6);
  });

  it('runs a resident model by default and agrees with the host placement on a ZO step', async () => {
    const engine = new ReferencePerturbEngine();
    const resident = createRandomModel(LLAMA, 9, { engine, std: 0.3 });
    const host = createRandomModel(LLAMA, 9, { engine, std: 0.3, weights: 'host' });
    expect(resident.weightPlacement).toBe('resident');
    const batch = { inputIds: [[3, 14, 15, 9, 26]], labels: [[-100, 14, 15, 9, 26]] };
    const opts = { seedIndex: 5, key: seeds.key(5), eps: 1e-3, lr: 0.05, engine };
    const r = await zoStepPerturbed(resident.updateTarget(), (p) => resident.loss(batch, p), opts);
    const h = await zoStepPerturbed(host.updateTarget(), (p) => host.loss(batch, p), opts);
    expect(Math.abs(r.scalarGrad - h.scalarGrad)).toBeLessThan(1e-2 * Math.abs(h.scalarGrad) + 1e-3);
    expect(maxAbsDiff((await resident.readParameters()).flatten(), host.parameters().flatten())).toBeLessThan(1e-4);
    resident.dispose();
  });
});
