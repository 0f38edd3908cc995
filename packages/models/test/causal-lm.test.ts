import { CandidateSeeds, ReferencePerturbEngine, zoStepPerturbed } from '@fedkseed/zo';

import { argmax, createRandomModel, loadPretrained, selectBackend } from '../src';

import { TINY_GPT2 as GPT2, TINY_QWEN2 as LLAMA } from './tiny-configs';
import { tempDir } from './temp-dir';

const engine = new ReferencePerturbEngine();
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.each(['cpu', 'wasm'] as const)('CausalLM on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  describe.each([
    ['llama-family (Qwen2, GQA, biases)', LLAMA],
    ['gpt2', GPT2],
  ])('%s', (_name, config) => {
    it('generates exactly what an argmax loop over full forwards gives', async () => {
      const model = createRandomModel(config, 3, { engine, std: 0.5 });
      const prompt = [3, 14, 15, 9];
      const got = await model.generate(prompt, { maxNewTokens: 6 });
      const seq = [...prompt];
      for (let i = 0; i < 6; i++) {
        const logits = await model.logits([seq]);
        seq.push(argmax(logits.subarray((seq.length - 1) * config.vocabSize, seq.length * config.vocabSize)));
      }
      expect(got).toEqual(seq.slice(prompt.length));
    });

    it('perturbs on the fly exactly like perturbing the weights, and never writes them', async () => {
      const model = createRandomModel(config, 4, { engine });
      const seeds = new CandidateSeeds(1n, 16);
      const ids = [[1, 2, 3, 4, 5]];
      const before = model.parameters().flatten();
      const onTheFly = await model.logits(ids, { perturbation: { key: seeds.key(3), scale: 1e-2 } });
      expect(bytes(model.parameters().flatten()).equals(bytes(before))).toBe(true);
      const moved = createRandomModel(config, 4, { engine });
      for (const t of moved.parameters().tensors) engine.axpy(t.data, seeds.key(3), t.elementOffset, 1e-2);
      expect(bytes(await moved.logits(ids)).equals(bytes(onTheFly))).toBe(true);
    });

    it('runs a ZO step whose skipped form leaves the weights byte-identical', async () => {
      const model = createRandomModel(config, 5, { engine });
      const seeds = new CandidateSeeds(1n, 16);
      const batch = { inputIds: [[1, 2, 3, 4]], labels: [[-100, 2, 3, 4]] };
      const before = model.parameters().flatten();
      const skipped = await zoStepPerturbed(model.parameters(), (p) => model.loss(batch, p), {
        seedIndex: 2,
        key: seeds.key(2),
        eps: 1e-3,
        lr: 1e-2,
        gradClip: 1e-12,
        engine,
      });
      expect(skipped.skipped).toBe(true);
      expect(bytes(model.parameters().flatten()).equals(bytes(before))).toBe(true);
      const step = await zoStepPerturbed(model.parameters(), (p) => model.loss(batch, p), {
        seedIndex: 2,
        key: seeds.key(2),
        eps: 1e-3,
        lr: 1e-2,
        engine,
      });
      expect(step.skipped).toBe(false);
      expect(Number.isFinite(step.lossPlus) && step.lossPlus > 0).toBe(true);
    });

    it('saves and loads back bit-exactly', async () => {
      const model = createRandomModel(config, 6, { engine });
      const dir = await tempDir('fedkseed-model-');
      await model.save(dir);
      const loaded = await loadPretrained(dir, { engine });
      expect(loaded.config).toEqual({ ...config, bosTokenId: undefined, eosTokenId: undefined });
      expect(bytes(loaded.parameters().flatten()).equals(bytes(model.parameters().flatten()))).toBe(true);
      expect(bytes(await loaded.logits([[1, 2, 3]])).equals(bytes(await model.logits([[1, 2, 3]])))).toBe(true);
    });
  });
});
