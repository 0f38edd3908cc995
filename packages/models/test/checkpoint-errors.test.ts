import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import { ReferencePerturbEngine } from '@fedkseed/zo';

import {
  createRandomModel,
  loadPretrained,
  parseBackendPreference,
  parseModelConfig,
  selectBackend,
  type ModelConfig,
} from '../src';

import { tempDir } from './temp-dir';

const CONFIG: ModelConfig = {
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  vocabSize: 20,
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositions: 16,
  tieWordEmbeddings: true,
  attentionBias: false,
};

async function savedModel(): Promise<{ dir: string; file: string }> {
  const dir = await tempDir('fedkseed-bad-');
  await createRandomModel(CONFIG, 1, { engine: new ReferencePerturbEngine() }).save(dir);
  return { dir, file: path.join(dir, 'model.safetensors') };
}

/** Rewrites the JSON header of a safetensors file (keeping its length by space padding where possible). */
async function editHeader(file: string, edit: (h: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const buf = await readFile(file);
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8'));
  edit(header);
  let json = JSON.stringify(header);
  json = json.padEnd(len, ' ');
  if (Buffer.byteLength(json) !== len) throw new Error('edited header does not fit');
  await writeFile(file, Buffer.concat([buf.subarray(0, 8), Buffer.from(json), buf.subarray(8 + len)]));
}

describe('loadPretrained on malformed checkpoints', () => {
  beforeAll(() => selectBackend('cpu'));

  it('names the file for a truncated safetensors file', async () => {
    const { dir, file } = await savedModel();
    await truncate(file, 100);
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors.*(truncated|does not fit)/);
    await truncate(file, 4);
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: truncated: 4 bytes/);
  });

  it('names the tensor whose offsets the header lies about', async () => {
    const { dir } = await savedModel();
    await editHeader(path.join(dir, 'model.safetensors'), (h) => {
      const e = h['model.norm.weight'] as { data_offsets: number[] };
      e.data_offsets = [e.data_offsets[0], e.data_offsets[1] + 4];
    });
    await expect(loadPretrained(dir)).rejects.toThrow(
      /model\.safetensors \[model\.norm\.weight\]: data_offsets span 36 bytes/,
    );
  });

  it('names the tensor with an unknown dtype', async () => {
    const { dir } = await savedModel();
    await editHeader(path.join(dir, 'model.safetensors'), (h) => {
      h['model.norm.weight'].dtype = 'I8';
    });
    await expect(loadPretrained(dir)).rejects.toThrow(/\[model\.norm\.weight\]: unsupported dtype "I8"/);
  });

  it('names a missing tensor and an unexpected one', async () => {
    const { dir } = await savedModel();
    await editHeader(path.join(dir, 'model.safetensors'), (h) => {
      h['model.norm.weightX'] = h['model.norm.weight'];
      delete h['model.norm.weight'];
    });
    await expect(loadPretrained(dir)).rejects.toThrow(/\[model\.norm\.weightX\]: unexpected tensor/);
    // An intact checkpoint whose config asks for one more layer than it holds.
    const { dir: short } = await savedModel();
    const cfg = JSON.parse(await readFile(path.join(short, 'config.json'), 'utf8'));
    await writeFile(
      path.join(short, 'config.json'),
      JSON.stringify({ ...cfg, num_hidden_layers: cfg.num_hidden_layers + 1 }),
    );
    await expect(loadPretrained(short)).rejects.toThrow(
      new RegExp(`\\[model\\.layers\\.${cfg.num_hidden_layers}\\.[^\\]]+\\]: missing tensor`),
    );
  });

  it('names the config field it cannot run, and a missing file', async () => {
    const { dir } = await savedModel();
    const cfg = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden_act: 'relu' }));
    await expect(loadPretrained(dir)).rejects.toThrow(
      /config\.json: config\.json field "hidden_act": activation "relu" is not supported/,
    );
    await rm(path.join(dir, 'model.safetensors'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(cfg));
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: cannot open/);
    expect(() => parseModelConfig({ architectures: ['BertModel'] })).toThrow(
      /field "architectures": architecture "BertModel" is not supported/,
    );
    expect(() => parseModelConfig({ ...cfg, num_key_value_heads: 3 })).toThrow(/field "num_key_value_heads"/);
    expect(() => parseModelConfig({ ...cfg, vocab_size: -1 })).toThrow(
      /field "vocab_size": must be a positive integer/,
    );
    const qwen2 = { ...cfg, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' };
    expect(() => parseModelConfig({ ...qwen2, sliding_window: 64, use_sliding_window: true })).toThrow(
      /field "use_sliding_window"/,
    );
    expect(parseModelConfig({ ...qwen2, sliding_window: 64, use_sliding_window: false })).not.toHaveProperty(
      'slidingWindow',
    );
    const mistral = { ...cfg, architectures: ['MistralForCausalLM'], model_type: 'mistral' };
    expect(parseModelConfig({ ...mistral, sliding_window: 4096 })).toMatchObject({ slidingWindow: 4096 });
    expect(parseModelConfig({ ...mistral, sliding_window: null })).not.toHaveProperty('slidingWindow');
    expect(() => parseModelConfig({ ...mistral, sliding_window: 0 })).toThrow(/field "sliding_window"/);
  });
});

describe('selectBackend', () => {
  it('falls through to the best backend present and says why the others were skipped', async () => {
    const lines: string[] = [];
    const sel = await selectBackend('auto', (l) => lines.push(l));
    expect(['tensorflow', 'wasm']).toContain(sel.backend);
    if (sel.backend === 'wasm') {
      expect(sel.skipped.map((s) => s.candidate)).toEqual(['tensorflow-gpu', 'tensorflow']);
      expect(lines[0]).toMatch(/^tfjs backend: wasm \(wasm, \d+ threads?: .+\); skipped tensorflow-gpu: /);
      expect(sel.wasmThreads).toBeGreaterThanOrEqual(1);
    }
  });

  it('fails on an explicit backend that cannot load, and on an unknown name', async () => {
    let hasNode = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      hasNode = false;
    }
    if (!hasNode)
      await expect(selectBackend('tensorflow')).rejects.toThrow(
        /no TensorFlow\.js backend could be loaded: tensorflow: /,
      );
    await expect(selectBackend('cpu')).resolves.toMatchObject({ backend: 'cpu' });
    expect(() => parseBackendPreference('gpu')).toThrow(/unknown backend "gpu"/);
    expect(parseBackendPreference(undefined)).toBe('auto');
  });
});
