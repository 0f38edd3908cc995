/**
 * Resident weights (kept in the backend, perturbed and updated there) against host weights (the ZO engine's
 * ParameterSet): the same model in both placements computes the same logits, the same perturbed losses, the
 * same ZO step and the same model pull. Here z comes from the host generator (the tensorflow backends use
 * TensorFlow's own op instead: tf-stateless-normal.test.ts), so everything but that op runs on wasm and cpu.
 */

import * as tf from '@tensorflow/tfjs-core';
import { CandidateSeeds, ReferencePerturbEngine, applyDelta, zoStepPerturbed } from '@fedkseed/zo';

import { createRandomModel, loadPretrained, selectBackend } from '../src';

import { maxAbsDiff } from './max-abs-diff';
import { tempDir } from './temp-dir';
import { TINY_GPT2 as GPT2, TINY_QWEN2 as LLAMA } from './tiny-configs';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(0x5eedn, 64);
const batch = {
  inputIds: [
    [3, 14, 15, 9, 26, 5],
    [35, 8, 9, 7, 9, 3],
  ],
  labels: [
    [-100, 14, 15, 9, 26, 5],
    [-100, -100, 9, 7, 9, 3],
  ],
};

describe.each(['cpu', 'wasm'] as const)('resident weights on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  describe.each([
    ['llama-family (Qwen2, GQA, biases)', LLAMA],
    ['gpt2 (tied embeddings)', GPT2],
  ])('%s', (_name, config) => {
    const pair = () => ({
      host: createRandomModel(config, 5, { engine, std: 0.3 }),
      resident: createRandomModel(config, 5, { engine, std: 0.3, weights: 'resident' }),
    });

    it('is chosen only on request here, and refuses parameters() with a pointer to what to use', () => {
      const { host, resident } = pair();
      expect(host.weightPlacement).toBe('host');
      expect(resident.weightPlacement).toBe('resident');
      expect(() => resident.parameters()).toThrow(/updateTarget\(\).*readParameters\(\)/);
      resident.dispose();
    });

    it('computes the same logits, and the same perturbed losses to float32 rounding', async () => {
      const { host, resident } = pair();
      expect(maxAbsDiff(await resident.logits(batch.inputIds), await host.logits(batch.inputIds))).toBe(0);
      for (const scale of [1e-3, -1e-3, 0.05]) {
        const perturbation = { key: seeds.key(9), scale };
        const h = await host.logits(batch.inputIds, { perturbation });
        const r = await resident.logits(batch.inputIds, { perturbation });
        expect(maxAbsDiff(r, h)).toBeLessThan(1e-5);
        // The perturbation did something: the perturbed logits differ from the base ones.
        expect(maxAbsDiff(r, await resident.logits(batch.inputIds))).toBeGreaterThan(1e-4);
        expect(
          Math.abs((await resident.loss(batch, perturbation)) - (await host.loss(batch, perturbation))),
        ).toBeLessThan(1e-5);
      }
      resident.dispose();
    });

    it('takes the same ZO step through updateTarget() and leaves the base weights alone in the forwards', async () => {
      const { host, resident } = pair();
      const before = await resident.readParameters();
      const opts = { seedIndex: 11, key: seeds.key(11), eps: 1e-3, lr: 0.05, engine };
      const skipped = await zoStepPerturbed(resident.updateTarget(), (p) => resident.loss(batch, p), {
        ...opts,
        gradClip: 1e-12,
      });
      expect(skipped.skipped).toBe(true);
      expect(Buffer.from((await resident.readParameters()).flatten().buffer)).toEqual(
        Buffer.from(before.flatten().buffer),
      );

      const h = await zoStepPerturbed(host.updateTarget(), (p) => host.loss(batch, p), opts);
      const r = await zoStepPerturbed(resident.updateTarget(), (p) => resident.loss(batch, p), opts);
      expect(r.scalarGrad).not.toBe(0);
      expect(Math.abs(r.scalarGrad - h.scalarGrad)).toBeLessThan(1e-2 * Math.abs(h.scalarGrad) + 1e-3);
      // The resident update is w + f32(-lr g) z in float32; compare it with the host engine applying the
      // resident step's own g, so that only the arithmetic differs.
      const expected = before.clone();
      applyDelta(expected, { seedIndices: [11], values: [r.scalarGrad] }, opts.lr, engine, seeds);
      const got = await resident.readParameters();
      expect(maxAbsDiff(got.flatten(), expected.flatten())).toBeLessThan(1e-6);
      expect(maxAbsDiff(got.flatten(), before.flatten())).toBeGreaterThan(1e-6);
      resident.dispose();
    });

    it('keeps no tensor behind: forwards, steps and pulls leave the backend with the tensors it had', async () => {
      const { resident } = pair();
      await resident.loss(batch); // first-call allocations (kernels, constants) happen before the count
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        await resident.logits(batch.inputIds, { perturbation: { key: seeds.key(i), scale: 1e-3 } });
        await resident.generate([3, 14, 15], { maxNewTokens: 2 });
        await zoStepPerturbed(resident.updateTarget(), (p) => resident.loss(batch, p), {
          seedIndex: i,
          key: seeds.key(i),
          eps: 1e-3,
          lr: 0.05,
        });
      }
      expect(tf.memory().numTensors).toBe(count);
      resident.dispose();
      expect(tf.memory().numTensors).toBeLessThan(count);
    });

    it('pulls a model (replay of many seeds) like applyDelta on the host', async () => {
      const { host, resident } = pair();
      const seedIndices = [0, 3, 17, 40, 63];
      const values = [0.5, -1.25, 2, 0.125, -0.75];
      const lr = 0.01;
      applyDelta(host.parameters(), { seedIndices, values }, lr, engine, seeds);
      const target = resident.updateTarget();
      if (!('replay' in target) || typeof target.replay !== 'function') throw new Error('expected ResidentWeights');
      target.replay(
        seedIndices.map((i) => seeds.key(i)),
        Float64Array.from(values, (v) => -lr * v),
      );
      expect(maxAbsDiff((await resident.readParameters()).flatten(), host.parameters().flatten())).toBeLessThan(1e-6);
      resident.dispose();
    });

    it('saves a checkpoint that loads back as the same weights, in either placement', async () => {
      const { resident } = pair();
      await zoStepPerturbed(resident.updateTarget(), (p) => resident.loss(batch, p), {
        seedIndex: 2,
        key: seeds.key(2),
        eps: 1e-3,
        lr: 0.05,
      });
      const dir = await tempDir('fedkseed-resident-');
      await resident.save(dir);
      const saved = (await resident.readParameters()).flatten();
      const asHost = await loadPretrained(dir, { engine });
      expect(Buffer.from(asHost.parameters().flatten().buffer)).toEqual(Buffer.from(saved.buffer));
      const asResident = await loadPretrained(dir, { engine, weights: 'resident' });
      expect(Buffer.from((await asResident.readParameters()).flatten().buffer)).toEqual(Buffer.from(saved.buffer));
      expect(maxAbsDiff(await asResident.logits(batch.inputIds), await asHost.logits(batch.inputIds))).toBe(0);
      resident.dispose();
      asResident.dispose();
    });
  });
});
