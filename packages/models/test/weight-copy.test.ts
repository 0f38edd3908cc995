/**
 * Copying weights between models (setParameters, copyWeightsFrom, clone) in every pair of placements: the copy
 * computes what its source computes, owns its values, and a model of another shape is refused untouched.
 */
import { ReferencePerturbEngine } from '@fedkseed/zo';

import { createRandomModel, selectBackend, type CausalLM, type WeightPlacement } from '../src';

import { TINY_LLAMA, TINY_QWEN2 } from './tiny-configs';

const engine = new ReferencePerturbEngine();
const ids = [[3, 14, 15, 9, 26, 5]];
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const weights = async (m: CausalLM) => bytes((await m.readParameters()).flatten());
const placements: [WeightPlacement, WeightPlacement][] = [
  ['host', 'host'],
  ['host', 'resident'],
  ['resident', 'host'],
  ['resident', 'resident'],
];

describe.each(['cpu', 'wasm'] as const)('weight copies on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it.each(placements)('copyWeightsFrom: %s -> %s', async (from, to) => {
    const source = createRandomModel(TINY_QWEN2, 1, { engine, weights: from, std: 0.3 });
    const target = createRandomModel(TINY_QWEN2, 2, { engine, weights: to, std: 0.3 });
    const hostArrays = to === 'host' ? target.parameters().tensors.map((t) => t.data) : [];
    expect((await weights(target)).equals(await weights(source))).toBe(false);
    await target.copyWeightsFrom(source);
    expect((await weights(target)).equals(await weights(source))).toBe(true);
    expect(bytes(await target.logits(ids)).equals(bytes(await source.logits(ids)))).toBe(true);
    // The host target kept its arrays (an engine or a caller holding parameters() sees the copy).
    if (to === 'host') expect(target.parameters().tensors.every((t, i) => t.data === hostArrays[i])).toBe(true);
    // The copy owns its values: moving the source does not move it.
    const copied = await weights(target);
    const p = await source.readParameters();
    p.tensors[0].data[0] += 1;
    source.setParameters(p);
    expect((await weights(target)).equals(copied)).toBe(true);
    expect((await weights(source)).equals(copied)).toBe(false);
    source.dispose();
    target.dispose();
  });

  it.each(['host', 'resident'] as const)('setParameters and clone keep the %s placement', async (placement) => {
    const model = createRandomModel(TINY_QWEN2, 3, { engine, weights: placement, std: 0.3 });
    const clone = await model.clone();
    expect(clone.weightPlacement).toBe(placement);
    expect((await weights(clone)).equals(await weights(model))).toBe(true);
    const w0 = await clone.readParameters();
    if (placement === 'resident') {
      // readParameters() of resident weights is a copy: writing it moves nothing.
      const before = await weights(clone);
      const kept = w0.tensors[0].data[0];
      w0.tensors[0].data[0] = kept + 1;
      expect((await weights(clone)).equals(before)).toBe(true);
      w0.tensors[0].data[0] = kept;
    }
    const other = createRandomModel(TINY_QWEN2, 4, { engine, std: 0.3 });
    model.setParameters(other.parameters());
    expect((await weights(model)).equals(await weights(other))).toBe(true);
    expect(bytes((await clone.readParameters()).flatten()).equals(bytes(w0.flatten()))).toBe(true);
    expect(bytes(await model.logits(ids)).equals(bytes(await other.logits(ids)))).toBe(true);
    model.dispose();
    clone.dispose();
  });

  it.each(['host', 'resident'] as const)(
    'refuses the weights of another architecture (%s), unchanged',
    async (placement) => {
      const model = createRandomModel(TINY_QWEN2, 5, { engine, weights: placement });
      const before = await weights(model);
      const noBiases = createRandomModel(TINY_LLAMA, 5, { engine }); // no q/k/v biases
      await expect(model.copyWeightsFrom(noBiases)).rejects.toThrow(/source has no tensor named ".*bias"/);
      const wider = createRandomModel({ ...TINY_QWEN2, intermediateSize: 64 }, 5, { engine });
      expect(() => model.setParameters(wider.parameters())).toThrow(
        /down_proj.weight" has shape \[32, 48\] here but \[32, 64\]/,
      );
      expect((await weights(model)).equals(before)).toBe(true);
      model.dispose();
    },
  );
});
