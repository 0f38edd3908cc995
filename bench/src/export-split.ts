/**
 * Writes the project's federated split, encoded for one model's tokenizer, as JSON for the torch port of the official
 * FedKSeed code (bench/reference/official_fedkseed.py), so both sides train on the very same token ids.
 *
 * Built with the public entries of @fedkseed/data (loadDolly: the held-out category and the label-Dirichlet partition;
 * encodeExample: Alpaca prompt + response + EOS, truncated, prompt labels masked with -100) and @fedkseed/models
 * (ModelTokenizer of the checkpoint folder). Options left out take the libraries' own defaults.
 *
 * Output: { format, modelDir, corpus, dataOptions, encodeOptions, tokenizer: {bosTokenId, eosTokenId, padTokenId},
 *   padTokenId, clientSizes, clients: [[{input_ids, labels}, ...], ...], eval: [{input_ids, labels}, ...],
 *   fullyMasked: {clients, eval}, w0HeldOutLoss }
 * w0HeldOutLoss is the project's model (@fedkseed/models, loadPretrained) on the held-out set, one example at a time,
 * the mean of the per-example losses (examples with no counted label skipped): the port's round 0 must agree with it.
 *
 * With --demo: the embedded demo's model and split (@fedkseed/demo: buildDemoSplit, encodeDemoSplit), i.e. exactly
 * the examples `fedkseed simulate` trains and evaluates on by default; no other data option may be given then.
 *
 *   npm run build
 *   node bench/export-split.cjs --demo --out split.json
 *   node bench/export-split.cjs --model-dir DIR --out split.json [--num-clients 10] [--alpha 0.5] [--data-seed 42]
 *       [--held-out-category summarization] [--min-per-client 10] [--wording alpaca|fedkseed-dolly]
 *       [--max-length N] [--dolly FILE] [--no-w0-loss]
 */
import fs from 'node:fs';
import path from 'node:path';

import {
  encodeExample,
  loadDolly,
  TINY_DOLLY_FILE,
  type DollyOptions,
  type EncodedExample,
  type PromptWording,
} from '@fedkseed/data';
import { DEMO_FEDERATION, DEMO_MODEL_DIR, buildDemoSplit, encodeDemoSplit } from '@fedkseed/demo';
import { ModelTokenizer, loadPretrained, parseModelConfig, selectBackend } from '@fedkseed/models';

import { OptionProblems, readOptions } from './lib/args';
import { runMain } from './lib/run-main';

const MAX_LENGTH_CAP = 1024; // encodeExample's default, lowered to the model's max_position_embeddings when smaller
const DATA_FLAGS = [
  'model-dir',
  'held-out-category',
  'num-clients',
  'alpha',
  'min-per-client',
  'data-seed',
  'wording',
  'max-length',
] as const;
const USAGE =
  'usage: node bench/export-split.cjs --demo --out split.json\n' +
  '       node bench/export-split.cjs --model-dir DIR --out split.json [--num-clients 10] [--alpha 0.5] [--data-seed 42]\n' +
  '           [--held-out-category summarization] [--min-per-client 10] [--wording alpaca|fedkseed-dolly]\n' +
  '           [--max-length N] [--dolly FILE] [--no-w0-loss]';

function options(argv: string[]) {
  const values = readOptions(
    {
      demo: { type: 'boolean', default: false },
      'model-dir': { type: 'string' },
      out: { type: 'string' },
      dolly: { type: 'string', default: TINY_DOLLY_FILE },
      'held-out-category': { type: 'string' },
      'num-clients': { type: 'string' },
      alpha: { type: 'string' },
      'min-per-client': { type: 'string' },
      'data-seed': { type: 'string' },
      wording: { type: 'string' },
      'max-length': { type: 'string' },
      'no-w0-loss': { type: 'boolean', default: false },
    },
    USAGE,
    argv,
  );
  const p = new OptionProblems();
  let modelDir = values['model-dir'];
  if (values.demo) {
    for (const flag of DATA_FLAGS) if (values[flag] !== undefined) p.add(`--${flag} cannot be combined with --demo`);
    if (values.dolly !== TINY_DOLLY_FILE) p.add('--dolly cannot be combined with --demo');
    modelDir = DEMO_MODEL_DIR;
  }
  if (!modelDir) p.add('--model-dir (or --demo) is required');
  if (!values.out) p.add('--out is required');
  const wording = values.wording;
  if (wording !== undefined && !['alpaca', 'fedkseed-dolly'].includes(wording))
    p.add(`--wording must be alpaca or fedkseed-dolly, got ${wording}`);
  const seed = p.integer('data-seed', values['data-seed'], -Number.MAX_SAFE_INTEGER);
  const o = {
    modelDir: modelDir!,
    out: values.out!,
    corpus: values.dolly!,
    dataOptions: {
      heldOutCategory: values['held-out-category'],
      numClients: p.integer('num-clients', values['num-clients'], 1),
      alpha: p.number('alpha', values.alpha, Number.MIN_VALUE),
      minPerClient: p.integer('min-per-client', values['min-per-client'], 0),
      seed,
    },
    wording: wording as PromptWording | undefined,
    maxLength: p.integer('max-length', values['max-length'], 1),
    w0Loss: !values['no-w0-loss'],
    demo: values.demo,
  };
  p.finish();
  return o;
}

const defined = <T extends object>(obj: T): Partial<T> =>
  Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;

interface PortExample {
  input_ids: number[];
  labels: number[];
}

async function w0HeldOutLoss(modelDir: string, evalSet: PortExample[]): Promise<number> {
  await selectBackend();
  const model = await loadPretrained(modelDir);
  try {
    let total = 0;
    let count = 0;
    for (const ex of evalSet) {
      const loss = await model.loss({ inputIds: [ex.input_ids], labels: [ex.labels] });
      if (Number.isNaN(loss)) continue;
      total += loss;
      count++;
    }
    return count ? total / count : NaN;
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const config = parseModelConfig(JSON.parse(fs.readFileSync(path.join(o.modelDir, 'config.json'), 'utf8')));
  const tokenizer = await ModelTokenizer.fromDirectory(o.modelDir, {
    bosTokenId: config.bosTokenId,
    eosTokenId: config.eosTokenId,
  });
  if (!tokenizer)
    throw new Error(`${path.join(o.modelDir, 'tokenizer.json')}: missing; the split needs the model's tokenizer`);
  let encodeOptions: { maxLength: number; wording?: PromptWording };
  let dataOptions: Partial<DollyOptions>;
  let encodedClients: PortExample[][];
  let encodedEval: PortExample[];
  const asPort = (e: EncodedExample): PortExample => ({ input_ids: e.inputIds, labels: e.labels });
  if (o.demo) {
    const d = DEMO_FEDERATION;
    encodeOptions = { maxLength: d.maxSequenceLength, wording: d.promptWording };
    dataOptions = {
      heldOutCategory: d.heldOutCategory,
      numClients: d.numClients,
      alpha: d.dirichletAlpha,
      minPerClient: d.minPerClient,
      seed: d.partitionSeed,
    };
    const encoded = encodeDemoSplit(await buildDemoSplit(), tokenizer);
    encodedClients = encoded.clients.map((examples) => examples.map(asPort));
    encodedEval = encoded.evalSet.map(asPort);
  } else {
    encodeOptions = {
      maxLength: o.maxLength ?? Math.min(MAX_LENGTH_CAP, config.maxPositions),
      ...defined({ wording: o.wording }),
    };
    dataOptions = defined(o.dataOptions);
    const { clients, evalSet } = await loadDolly(o.corpus, dataOptions);
    const encode = (ex: (typeof evalSet)[number]) => asPort(encodeExample(ex, tokenizer, encodeOptions));
    encodedClients = clients.map((examples) => examples.map(encode));
    encodedEval = evalSet.map(encode);
  }
  const fullyMasked = (examples: PortExample[]) =>
    examples.filter((e) => e.labels.slice(1).every((l) => l === -100)).length;
  const padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const split = {
    format: 'fedkseed-split/1',
    modelDir: path.resolve(o.modelDir),
    corpus: path.resolve(o.corpus),
    dataOptions,
    encodeOptions,
    tokenizer: { bosTokenId: tokenizer.bosTokenId, eosTokenId: tokenizer.eosTokenId, padTokenId: tokenizer.padTokenId },
    padTokenId,
    clientSizes: encodedClients.map((c) => c.length),
    fullyMasked: { clients: encodedClients.reduce((n, c) => n + fullyMasked(c), 0), eval: fullyMasked(encodedEval) },
    w0HeldOutLoss: o.w0Loss ? await w0HeldOutLoss(o.modelDir, encodedEval) : null,
    clients: encodedClients,
    eval: encodedEval,
  };
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(split));
  const tokens = encodedClients.flat().reduce((n, e) => n + e.input_ids.length, 0);
  console.error(
    `export-split: ${encodedClients.length} clients (${split.clientSizes.join(', ')} examples, ${tokens} tokens), ` +
      `${encodedEval.length} held-out, max length ${encodeOptions.maxLength}, fully masked ${split.fullyMasked.clients}/${split.fullyMasked.eval}` +
      (split.w0HeldOutLoss !== null ? `, w0 held-out loss ${split.w0HeldOutLoss.toFixed(6)}` : '') +
      ` -> ${o.out}`,
  );
}

runMain(main, 'export-split: ', true);
