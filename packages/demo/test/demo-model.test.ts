import { readFile, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';

import { collate, padTokenIdOf } from '@fedkseed/data';
import { createRandomModel, loadPretrained, selectBackend, type CausalLM } from '@fedkseed/models';

import {
  DEMO_FEDERATION,
  DEMO_MODEL_DIR,
  DEMO_PACKAGE_DIR,
  PRETRAINING_HELD_BACK_FILE,
  buildDemoSplit,
  encodeDemoSplit,
  pretrainingTextFiles,
} from '../src';

const MAX_CHECKPOINT_BYTES = 10 * 1024 * 1024;

/**
 * Token-weighted mean loss over documents, each as <s> text </s> (how scripts/pretrain.py measures it), in
 * right-padded batches of 50 (padding counts in neither attention nor loss).
 */
async function documentLoss(model: CausalLM, documents: string[]): Promise<{ loss: number; tokens: number }> {
  const tok = model.tokenizer!;
  const rows = documents.map((text) => {
    const ids = [...tok.encode(text), tok.eosTokenId!];
    return { inputIds: ids, labels: ids };
  });
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += 50) {
    const batch = rows.slice(i, i + 50);
    const count = batch.reduce((n, r) => n + r.inputIds.length - 1, 0);
    total += (await model.loss(collate(batch, { padTokenId: padTokenIdOf(tok) }))) * count;
    tokens += count;
  }
  return { loss: total / tokens, tokens };
}

describe('the demo model', () => {
  let model: CausalLM;
  let heldBack: string[];
  let report: { heldBack: { loss: number; lossAtInit: number; predictedTokens: number } };

  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadPretrained(DEMO_MODEL_DIR);
    heldBack = (await readFile(PRETRAINING_HELD_BACK_FILE, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { text: string }).text);
    report = JSON.parse(await readFile(path.join(DEMO_MODEL_DIR, 'pretraining.json'), 'utf8'));
  });

  afterAll(() => model?.dispose());

  it('ships exactly the pretraining text its generator writes (regenerate with npm run corpus -w @fedkseed/demo)', async () => {
    for (const [rel, text] of pretrainingTextFiles()) {
      expect(await readFile(path.join(DEMO_PACKAGE_DIR, rel), 'utf8')).toBe(text);
    }
  });

  it('is a Hugging Face checkpoint of at most 10 MB, tokenizer included', async () => {
    const files = (await readdir(DEMO_MODEL_DIR)).sort();
    expect(files).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']),
    );
    let bytes = 0;
    for (const f of files) bytes += (await stat(path.join(DEMO_MODEL_DIR, f))).size;
    expect(bytes).toBeLessThanOrEqual(MAX_CHECKPOINT_BYTES);
    expect(model.config.architecture).toBe('LlamaForCausalLM');
    expect(model.parameters().numParameters).toBeGreaterThan(100_000);
  });

  it('scores the held-back pretraining text as torch did, far below a random model of the same config', async () => {
    const pretrained = await documentLoss(model, heldBack);
    // The same tokens and the same loss as the pretraining script's float32 torch forward: the tokenizer trainer,
    // the torch model and this runtime agree.
    expect(pretrained.tokens).toBe(report.heldBack.predictedTokens);
    expect(pretrained.loss).toBeCloseTo(report.heldBack.loss, 3);
    const random = createRandomModel(model.config, 7, { tokenizer: model.tokenizer });
    const untrained = await documentLoss(random, heldBack.slice(0, 50));
    random.dispose();
    // A random model is near the uniform ln(vocab); the pretrained one must be a small fraction of it.
    expect(untrained.loss).toBeGreaterThan(0.9 * Math.log(model.config.vocabSize));
    expect(pretrained.loss).toBeLessThan(0.25 * untrained.loss);
  });

  it('continues pretraining-style text with the facts it was trained on', async () => {
    const tok = model.tokenizer!;
    const complete = async (prompt: string) =>
      tok.decode(await model.generate(tok.encode(prompt), { maxNewTokens: 8, eos: tok.eosTokenId }));
    expect(await complete('The capital of Japan is')).toMatch(/^ Tokyo\./);
    expect(await complete('A spider has')).toMatch(/^ eight legs/);
  });
});

describe('the demo split', () => {
  it('gives the documented clients and a held-out set of the held-out category only', async () => {
    const split = await buildDemoSplit();
    expect(split.clients).toHaveLength(DEMO_FEDERATION.numClients);
    for (const c of split.clients) expect(c.length).toBeGreaterThanOrEqual(DEMO_FEDERATION.minPerClient);
    const train = split.clients.flat();
    expect(train.some((e) => e.category === DEMO_FEDERATION.heldOutCategory)).toBe(false);
    expect(split.evalSet.length).toBeGreaterThan(0);
    expect(new Set(split.evalSet.map((e) => e.category))).toEqual(new Set([DEMO_FEDERATION.heldOutCategory]));
    // every tiny Dolly example is in exactly one place
    expect(train.length + split.evalSet.length).toBe(320);
  });

  it('encodes every example whole: the response and EOS fit in maxSequenceLength', async () => {
    const model = await loadPretrained(DEMO_MODEL_DIR);
    const encoded = encodeDemoSplit(await buildDemoSplit(), model.tokenizer!);
    for (const e of [...encoded.clients.flat(), ...encoded.evalSet]) {
      expect(e.inputIds.length).toBeLessThanOrEqual(DEMO_FEDERATION.maxSequenceLength);
      expect(e.inputIds[e.inputIds.length - 1]).toBe(model.tokenizer!.eosTokenId);
      expect(e.promptLength).toBeLessThan(e.inputIds.length);
    }
    model.dispose();
  });
});
