#!/usr/bin/env node
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
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { encodeExample, loadDolly } = require('@fedkseed/data');
const { ModelTokenizer, loadPretrained, parseModelConfig, selectBackend } = require('@fedkseed/models');
const { DEMO_FEDERATION, DEMO_MODEL_DIR, buildDemoSplit, encodeDemoSplit } = require('@fedkseed/demo');

const DEFAULT_CORPUS = path.join(__dirname, '..', 'packages', 'data', 'fixtures', 'tiny-dolly.jsonl');
const MAX_LENGTH_CAP = 1024; // encodeExample's default, lowered to the model's max_position_embeddings when smaller

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      demo: { type: 'boolean', default: false },
      'model-dir': { type: 'string' },
      out: { type: 'string' },
      dolly: { type: 'string', default: DEFAULT_CORPUS },
      'held-out-category': { type: 'string' },
      'num-clients': { type: 'string' },
      alpha: { type: 'string' },
      'min-per-client': { type: 'string' },
      'data-seed': { type: 'string' },
      wording: { type: 'string' },
      'max-length': { type: 'string' },
      'no-w0-loss': { type: 'boolean', default: false },
    },
  });
  const problems = [];
  if (values.demo) {
    const others = [
      'model-dir',
      'held-out-category',
      'num-clients',
      'alpha',
      'min-per-client',
      'data-seed',
      'wording',
      'max-length',
    ];
    for (const flag of others)
      if (values[flag] !== undefined) problems.push(`--${flag} cannot be combined with --demo`);
    if (values.dolly !== DEFAULT_CORPUS) problems.push('--dolly cannot be combined with --demo');
    values['model-dir'] = DEMO_MODEL_DIR;
  }
  if (!values['model-dir']) problems.push('--model-dir (or --demo) is required');
  if (!values.out) problems.push('--out is required');
  const num = (flag, check, what) => {
    if (values[flag] === undefined) return undefined;
    const v = Number(values[flag]);
    if (!check(v)) problems.push(`--${flag} must be ${what}, got ${values[flag]}`);
    return v;
  };
  const positiveInt = (v) => Number.isInteger(v) && v > 0;
  const o = {
    modelDir: values['model-dir'],
    out: values.out,
    corpus: values.dolly,
    dataOptions: {
      heldOutCategory: values['held-out-category'],
      numClients: num('num-clients', positiveInt, 'a positive integer'),
      alpha: num('alpha', (v) => v > 0, 'positive'),
      minPerClient: num('min-per-client', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      seed: num('data-seed', Number.isSafeInteger, 'an integer'),
    },
    wording: values.wording,
    maxLength: num('max-length', positiveInt, 'a positive integer'),
    w0Loss: !values['no-w0-loss'],
    demo: values.demo,
  };
  if (o.wording !== undefined && !['alpaca', 'fedkseed-dolly'].includes(o.wording))
    problems.push(`--wording must be alpaca or fedkseed-dolly, got ${o.wording}`);
  if (problems.length) throw new Error(problems.join('\n'));
  return o;
}

const defined = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));

async function w0HeldOutLoss(modelDir, evalSet) {
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

async function main() {
  const o = options(process.argv.slice(2));
  const config = parseModelConfig(JSON.parse(fs.readFileSync(path.join(o.modelDir, 'config.json'), 'utf8')));
  const tokenizer = await ModelTokenizer.fromDirectory(o.modelDir, {
    bosTokenId: config.bosTokenId,
    eosTokenId: config.eosTokenId,
  });
  if (!tokenizer)
    throw new Error(`${path.join(o.modelDir, 'tokenizer.json')}: missing; the split needs the model's tokenizer`);
  let encodeOptions;
  let dataOptions;
  let encodedClients;
  let encodedEval;
  const asPort = (e) => ({ input_ids: e.inputIds, labels: e.labels });
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
    encodeOptions = defined({
      maxLength: o.maxLength ?? Math.min(MAX_LENGTH_CAP, config.maxPositions),
      wording: o.wording,
    });
    dataOptions = defined(o.dataOptions);
    const { clients, evalSet } = await loadDolly(o.corpus, dataOptions);
    const encode = (ex) => asPort(encodeExample(ex, tokenizer, encodeOptions));
    encodedClients = clients.map((examples) => examples.map(encode));
    encodedEval = evalSet.map(encode);
  }
  const maxLength = encodeOptions.maxLength;
  const fullyMasked = (examples) => examples.filter((e) => e.labels.slice(1).every((l) => l === -100)).length;
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
      `${encodedEval.length} held-out, max length ${maxLength}, fully masked ${split.fullyMasked.clients}/${split.fullyMasked.eval}` +
      (split.w0HeldOutLoss !== null ? `, w0 held-out loss ${split.w0HeldOutLoss.toFixed(6)}` : '') +
      ` -> ${o.out}`,
  );
}

main().catch((err) => {
  console.error(`export-split: ${err.message}`);
  process.exit(1);
});
