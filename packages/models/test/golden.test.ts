/**
 * The runtime against an independent reference: test/fixtures/make_fixtures.py implements the LLaMA, Qwen2 and
 * GPT-2 forward passes from their published equations in torch (float64), writes tiny random checkpoints in
 * Hugging Face layout (F32, F16, BF16, sharded) and golden logits, losses and greedy generations.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

import { ReferencePerturbEngine } from '@fedkseed/zo';

import { crossEntropy, loadPretrained, selectBackend } from '../src';
import { maxAbsDiff } from './max-abs-diff';
import { tempDir } from './temp-dir';

const FIXTURES = path.join(__dirname, 'fixtures');
const MODELS = ['llama-gqa', 'llama-tied-f16', 'qwen2-bf16', 'mistral-window', 'gpt2', 'llama-sharded'];
const engine = new ReferencePerturbEngine();

interface Golden {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  loss: number;
  logits_file: string;
  logits_shape: [number, number, number];
  generate: { prompt: number[]; max_new_tokens: number; greedy_ids: number[] };
}

async function golden(model: string): Promise<{ g: Golden; logits: Float32Array }> {
  const g = JSON.parse(await readFile(path.join(FIXTURES, model, 'golden.json'), 'utf8')) as Golden;
  const buf = await readFile(path.join(FIXTURES, model, g.logits_file));
  return { g, logits: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
}

describe.each(['wasm', 'cpu'] as const)('golden checkpoints on %s', (backend) => {
  beforeAll(() => selectBackend(backend));

  it.each(MODELS)('%s: logits within 1e-4, loss within 1e-5 relative, greedy generation identical', async (name) => {
    const dir = path.join(FIXTURES, name);
    const { g, logits } = await golden(name);
    const model = await loadPretrained(dir, { engine });
    const got = await model.logits(g.input_ids, { attentionMask: g.attention_mask });
    expect(maxAbsDiff(got, logits)).toBeLessThan(1e-4);
    const loss = await model.loss({ inputIds: g.input_ids, labels: g.labels, attentionMask: g.attention_mask });
    expect(Math.abs(loss - g.loss) / g.loss).toBeLessThan(1e-5);
    // The host-side float64 cross-entropy over the full logits agrees with the backend's log-softmax path.
    expect(Math.abs(crossEntropy(got, g.labels, model.config.vocabSize) - g.loss) / g.loss).toBeLessThan(1e-5);
    expect(await model.generate(g.generate.prompt, { maxNewTokens: g.generate.max_new_tokens })).toEqual(
      g.generate.greedy_ids,
    );
  });
});

describe('checkpoint round trip', () => {
  beforeAll(() => selectBackend('wasm'));

  it.each(['qwen2-bf16', 'mistral-window', 'gpt2', 'llama-sharded'])(
    '%s: load, save, load again is bit-exact and keeps the tokenizer',
    async (name) => {
      const first = await loadPretrained(path.join(FIXTURES, name), { engine });
      const dir = await tempDir('fedkseed-roundtrip-');
      await first.save(dir);
      const second = await loadPretrained(dir, { engine });
      const a = first.parameters();
      const b = second.parameters();
      expect(b.tensors.map((t) => t.name)).toEqual(a.tensors.map((t) => t.name));
      for (const t of a.tensors)
        expect(Buffer.from(b.get(t.name).data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
      expect(second.config).toEqual(first.config);
      expect(second.tokenizer?.encode('the cat')).toEqual(first.tokenizer?.encode('the cat'));
      const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
      expect(config.torch_dtype).toBe('float32');
    },
  );
});

describe('tokenizer', () => {
  it('matches the ids the fixture script derived from its own BPE definition', async () => {
    const cases = JSON.parse(await readFile(path.join(FIXTURES, 'tokenizer-golden.json'), 'utf8')) as {
      eos_token_id: number;
      bos_token_id: number;
      cases: { text: string; ids: number[]; decoded: string }[];
    };
    const model = await loadPretrained(path.join(FIXTURES, 'gpt2'), { engine });
    const tok = model.tokenizer!;
    expect(tok.eosTokenId).toBe(cases.eos_token_id);
    expect(tok.bosTokenId).toBe(cases.bos_token_id);
    for (const c of cases.cases) {
      expect(tok.encode(c.text)).toEqual(c.ids);
      expect(tok.decode(c.ids, { skipSpecialTokens: false })).toBe(c.decoded);
    }
  });
});
