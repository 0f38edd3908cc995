/**
 * The wasm thread count (src/wasm-thread-count.ts): FEDKSEED_WASM_THREADS first, then one thread for small or
 * unsized models, else one per core idle at start.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import {
  WASM_THREADED_MIN_PARAMETERS as MIN,
  chooseWasmThreads,
  countParameters,
  createRandomModel,
  readModelConfig,
  toHfConfig,
} from '../src';

import { tempDir } from './temp-dir';
import { TINY_GPT2, TINY_QWEN2 } from './tiny-configs';

const idle = { cores: 4, loadAverage: 0 };

describe('chooseWasmThreads', () => {
  it('takes FEDKSEED_WASM_THREADS over everything (at most 8), and refuses a bad one', () => {
    expect(chooseWasmThreads({ ...idle, env: '3', numParameters: 1000 })).toEqual({
      threads: 3,
      reason: 'FEDKSEED_WASM_THREADS=3',
    });
    expect(chooseWasmThreads({ ...idle, env: '1', numParameters: 1e9 }).threads).toBe(1);
    expect(chooseWasmThreads({ cores: 2, loadAverage: 9, env: '64' }).threads).toBe(8);
    for (const bad of ['0', '-2', '1.5', 'many'])
      expect(() => chooseWasmThreads({ ...idle, env: bad })).toThrow(/FEDKSEED_WASM_THREADS/);
  });

  it('runs one thread for a model under the threshold, or of unknown size', () => {
    for (const env of [undefined, '', 'auto']) {
      expect(chooseWasmThreads({ ...idle, env })).toEqual({ threads: 1, reason: 'model size not given' });
      expect(chooseWasmThreads({ ...idle, env, numParameters: 620_000 })).toEqual({
        threads: 1,
        reason: '0.62M parameters, under 4.0M',
      });
      expect(chooseWasmThreads({ ...idle, env, numParameters: MIN - 1 }).threads).toBe(1);
    }
  });

  it('runs one thread per core left idle at start for a larger model, at least one and at most 8', () => {
    expect(chooseWasmThreads({ ...idle, numParameters: MIN })).toEqual({
      threads: 4,
      reason: '4.0M parameters, 4.0 of 4 cores idle at start',
    });
    expect(chooseWasmThreads({ cores: 2, loadAverage: 0.3, numParameters: 17e6 }).threads).toBe(2);
    expect(chooseWasmThreads({ cores: 2, loadAverage: 0.8, numParameters: 17e6 }).threads).toBe(1);
    expect(chooseWasmThreads({ cores: 2, loadAverage: 9.2, numParameters: 17e6 })).toEqual({
      threads: 1,
      reason: '17M parameters, 0.0 of 2 cores idle at start',
    });
    expect(chooseWasmThreads({ cores: 16, loadAverage: 3, numParameters: 1e9 }).threads).toBe(8);
    expect(chooseWasmThreads({ cores: 16, loadAverage: 10.6, numParameters: 1e9 }).threads).toBe(5);
  });
});

describe('countParameters and readModelConfig', () => {
  it.each([
    ['llama-family', TINY_QWEN2],
    ['gpt2', TINY_GPT2],
  ])("count what the model holds (%s), from a checkpoint's config alone", async (_name, config) => {
    const model = createRandomModel(config, 1);
    expect(countParameters(config)).toBe(model.parameters().numParameters);
    const dir = await tempDir('fedkseed-config-');
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(toHfConfig(config)));
    expect(countParameters(await readModelConfig(dir))).toBe(model.parameters().numParameters);
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    await expect(readModelConfig(dir)).rejects.toThrow(/config\.json/);
  });
});
