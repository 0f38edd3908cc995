#!/usr/bin/env node
/**
 * Effect of the lossy bfloat16 catch-up (RunConfig.allow_lossy_catch_up) on learning.
 *
 * A FedKSeed run simulated in one process with the project's own pieces: @fedkseed/zo for the clients' local ZO
 * steps (localTrain), the server's aggregation (aggregateRound) and the model sync (applyDelta), and
 * @fedkseed/proto's encodeAccumulatedDelta / decodeAccumulatedDelta for the catch-up exactly as the aggregator
 * encodes it and a client decodes it. Only the model is small: a byte-level bigram language model (a V x V table
 * of next-byte logits, V = 96 printable characters) on the bundled tiny Dolly corpus, so that many rounds run in
 * seconds. Every client keeps the model of the last version it synced to and, when selected, applies the
 * catch-up from that version to the current one; with 40 clients and 2 selected per round a client is ~20
 * rounds behind, so most catch-ups are dense: float32 (16 KB at K = 4096) in the lossless arm, bfloat16 (8 KB)
 * in the lossy arm. Both arms share the run seed, data, selection and seed sampling; they differ only in the
 * catch-up encoding (and in everything that follows from it).
 *
 * Printed per run seed and arm: held-out loss of the server's model (w0 replayed with the final A) before and
 * after training, the catch-up encodings and bytes, and how far the clients' synced models were from the
 * server's model of the same version, relative to how far the server's model had moved from w0.
 *
 *   npm run build && node bench/lossy-catch-up-bench.cjs [--quick] [--seeds 3] [--json out.json]
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const {
  CandidateSeeds,
  ParameterSet,
  SeedSampler,
  SeededRandom,
  aggregateRound,
  applyDelta,
  createPerturbEngine,
  localTrain,
} = require('@fedkseed/zo');
const { AccumulatedDelta, decodeAccumulatedDelta, encodeAccumulatedDelta } = require('@fedkseed/proto');

const { table } = require('./lib/text-table.cjs');

const CORPUS = path.join(__dirname, '..', 'packages', 'data', 'fixtures', 'tiny-dolly.jsonl');
const K = 4096;
const VOCAB = 96; // bytes 32..126 and one slot for everything else (newline, tab, non-ASCII)
const BATCH_PAIRS = 64;
const EPS = 1e-3;
const LR = 0.05;
const NUM_CLIENTS = 40;
const CLIENTS_PER_ROUND = 2;

function parseArgs(argv) {
  const o = { quick: false, seeds: 3, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--seeds') o.seeds = Number(argv[++i]);
    else if (argv[i] === '--json') o.json = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (use --quick, --seeds N, --json out.json)`);
  }
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new Error('--seeds takes a positive integer');
  return o;
}

// ------------------------------------------------------------------------------------------- data and model

const symbol = (byte) => (byte >= 32 && byte <= 126 ? byte - 32 : VOCAB - 1);

/** Each record's text as symbol pairs (previous, next): [prev0, next0, prev1, next1, ...]. */
function readRecords() {
  return fs
    .readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const r = JSON.parse(line);
      const bytes = Buffer.from(`${r.instruction}\n${r.context}\n${r.response}\n`, 'utf8');
      const pairs = new Uint8Array(2 * (bytes.length - 1));
      for (let j = 0; j + 1 < bytes.length; j++) {
        pairs[2 * j] = symbol(bytes[j]);
        pairs[2 * j + 1] = symbol(bytes[j + 1]);
      }
      return pairs;
    });
}

const concat = (arrays) => {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};

/** Mean next-symbol cross-entropy (nats) of the bigram logits table over symbol pairs. */
function bigramLoss(logits, pairs) {
  const n = pairs.length / 2;
  const exp = Math.exp;
  const log = Math.log;
  let total = 0;
  for (let j = 0; j < n; j++) {
    const row = pairs[2 * j] * VOCAB;
    let max = -Infinity;
    for (let v = 0; v < VOCAB; v++) if (logits[row + v] > max) max = logits[row + v];
    let sum = 0;
    for (let v = 0; v < VOCAB; v++) sum += exp(logits[row + v] - max);
    total += max + log(sum) - logits[row + pairs[2 * j + 1]];
  }
  return total / n;
}

const l2 = (a) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const l2diff = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};

// ---------------------------------------------------------------------------------------------- one run

function clientShards(records, random) {
  // Non-IID: records sorted by their first symbols (which groups instructions of a kind), dealt in contiguous
  // chunks, so each client sees a few kinds of task.
  const order = records.map((_, j) => j).sort((a, b) => records[a][0] - records[b][0] || records[a][2] - records[b][2]);
  const shards = Array.from({ length: NUM_CLIENTS }, () => []);
  order.forEach((j, position) => shards[Math.floor((position * NUM_CLIENTS) / order.length)].push(records[j]));
  return shards.map((s) => concat(s.length > 0 ? s : [records[Math.floor(random.uniform() * records.length)]]));
}

function* batches(pairs, random) {
  const n = pairs.length / 2;
  for (;;) {
    const batch = new Uint8Array(2 * BATCH_PAIRS);
    for (let j = 0; j < BATCH_PAIRS; j++) {
      const at = Math.floor(random.uniform() * n);
      batch[2 * j] = pairs[2 * at];
      batch[2 * j + 1] = pairs[2 * at + 1];
    }
    yield batch;
  }
}

async function runArm({ runSeed, allowLossy, rounds, tau, train, evalPairs, engine }) {
  const seeds = new CandidateSeeds(runSeed, K);
  const initRandom = new SeededRandom(runSeed, 1);
  const w0 = new Float32Array(VOCAB * VOCAB).map(() => 0.02 * (initRandom.uniform() - 0.5));
  const params = (data) => new ParameterSet([{ name: 'logits', data, shape: [VOCAB, VOCAB] }]);

  const history = [new Float64Array(K)]; // A_v for every version v
  const clients = train.map((pairs, c) => ({
    pairs,
    version: 0,
    weights: w0.slice(),
    random: new SeededRandom(runSeed, 100 + c),
  }));
  const select = new SeededRandom(runSeed, 2);
  const encodings = { none: 0, sparse: 0, dense: 0, denseBf16: 0 };
  let catchUpBytes = 0;
  const deviations = [];
  const serverAt = (A) => {
    const w = w0.slice();
    applyDelta(params(w), A, LR, engine, seeds);
    return w;
  };

  for (let round = 0; round < rounds; round++) {
    const A = history[round];
    const chosen = new Set();
    while (chosen.size < CLIENTS_PER_ROUND) chosen.add(Math.floor(select.uniform() * NUM_CLIENTS));
    const uploads = [];
    // The server's model at this round, once for both clients (a replay of every seed from w0).
    const server = round > 0 ? serverAt(A) : undefined;
    const moved = server ? l2diff(server, w0) : 0;
    for (const c of [...chosen].sort((a, b) => a - b)) {
      const client = clients[c];
      // Sync: the change of A since the client's version, through the wire encoding.
      const from = history[client.version];
      const change = A.map((x, i) => x - from[i]);
      const delta = encodeAccumulatedDelta(change, { fromVersion: client.version, toVersion: round, allowLossy });
      encodings[delta.encoding ? delta.encoding.$case : 'none']++;
      catchUpBytes += AccumulatedDelta.encode(delta).finish().length;
      const entries = decodeAccumulatedDelta(delta, K);
      applyDelta(params(client.weights), entries, LR, engine, seeds);
      client.version = round;
      if (server && moved > 0) deviations.push(l2diff(client.weights, server) / moved);
      // Local training on a copy: the synced model stays at its version, as a client that restores it does.
      const local = params(client.weights.slice());
      const result = await localTrain({
        params: local,
        batches: batches(client.pairs, client.random),
        loss: async (p, batch) => bigramLoss(p.tensors[0].data, batch),
        numLocalSteps: tau,
        sampler: new SeedSampler({ numCandidateSeeds: K, samplingSeed: (runSeed << 24n) + BigInt(round * 1000 + c) }),
        seeds,
        eps: EPS,
        lr: LR,
        engine,
      });
      uploads.push({ pairs: result.pairs, weight: client.pairs.length / 2 });
    }
    history.push(aggregateRound(A, uploads).accumulated);
  }

  const final = serverAt(history[rounds]);
  deviations.sort((a, b) => a - b);
  return {
    loss_w0: bigramLoss(w0, evalPairs),
    loss_final: bigramLoss(final, evalPairs),
    catch_ups: encodings,
    catch_up_bytes_mean: Math.round(catchUpBytes / (rounds * CLIENTS_PER_ROUND)),
    client_deviation: {
      median: deviations[Math.floor(deviations.length / 2)] ?? 0,
      max: deviations.at(-1) ?? 0,
    },
    update_norm: l2diff(final, w0),
    w0_norm: l2(w0),
  };
}

// ------------------------------------------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rounds = opts.quick ? 20 : 60;
  const tau = opts.quick ? 50 : 200;
  const engine = createPerturbEngine('fast', { onFallback: 'reference' });
  const records = readRecords();
  const evalPairs = concat(records.filter((_, j) => j % 8 === 0));
  const trainRecords = records.filter((_, j) => j % 8 !== 0);
  const started = Date.now();
  const runs = [];
  for (let s = 0; s < opts.seeds; s++) {
    const runSeed = 0xca7c4a9n + BigInt(s);
    const train = clientShards(trainRecords, new SeededRandom(runSeed, 3));
    const arms = {};
    for (const [name, allowLossy] of [
      ['lossless', false],
      ['bf16', true],
    ]) {
      const t0 = Date.now();
      arms[name] = await runArm({ runSeed, allowLossy, rounds, tau, train, evalPairs, engine });
      process.stderr.write(
        `[lossy-catch-up] seed ${s} ${name}: loss ${arms[name].loss_w0.toFixed(4)} -> ` +
          `${arms[name].loss_final.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
    }
    runs.push({ runSeed: `0x${runSeed.toString(16)}`, ...arms });
  }

  const gain = (arm) => arm.loss_w0 - arm.loss_final;
  const rows = runs.map((r) => [
    r.runSeed,
    r.lossless.loss_w0.toFixed(4),
    r.lossless.loss_final.toFixed(4),
    r.bf16.loss_final.toFixed(4),
    (r.bf16.loss_final - r.lossless.loss_final).toExponential(2),
    `${((100 * (gain(r.bf16) - gain(r.lossless))) / gain(r.lossless)).toExponential(1)} %`,
    `${r.lossless.catch_ups.dense}/${r.lossless.catch_ups.sparse} -> ${r.bf16.catch_ups.denseBf16}/${r.bf16.catch_ups.sparse}`,
    `${r.lossless.catch_up_bytes_mean} / ${r.bf16.catch_up_bytes_mean}`,
    r.bf16.client_deviation.median.toExponential(2),
    r.bf16.client_deviation.max.toExponential(2),
    r.lossless.client_deviation.max.toExponential(2),
  ]);
  const finals = (arm) => runs.map((r) => r[arm].loss_final);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  const diffs = runs.map((r) => r.bf16.loss_final - r.lossless.loss_final);

  const L = [];
  L.push(
    `lossy catch-up bench${opts.quick ? ' (--quick)' : ''}: bigram LM (${VOCAB}x${VOCAB} = ${VOCAB * VOCAB} parameters), ` +
      `K = ${K}, tau = ${tau}, ${rounds} rounds, ${NUM_CLIENTS} clients, ${CLIENTS_PER_ROUND} per round, eps = ${EPS}, lr = ${LR}`,
  );
  L.push('');
  L.push(
    table([
      [
        'run seed',
        'held-out loss w0',
        'final, lossless',
        'final, bf16',
        'bf16 - lossless',
        'change of the gain',
        'dense/sparse catch-ups (f32 -> bf16)',
        'catch-up bytes (f32 / bf16)',
        'client deviation bf16 (median)',
        'bf16 (max)',
        'lossless (max)',
      ],
      ...rows,
    ]),
  );
  L.push('');
  L.push(
    `final held-out loss over ${runs.length} run seeds: lossless ${mean(finals('lossless')).toFixed(4)} ` +
      `(sd ${sd(finals('lossless')).toFixed(4)} across seeds), bf16 ${mean(finals('bf16')).toFixed(4)}; ` +
      `bf16 - lossless per seed: mean ${mean(diffs).toExponential(2)}, max |.| ${Math.max(...diffs.map(Math.abs)).toExponential(2)}`,
  );
  L.push(
    'client deviation = |w_client - w_server| / |w_server - w0| at each sync, w_server being the model of the same',
  );
  L.push('version rebuilt from w0 with the exact A; "change of the gain" = relative change of (loss w0 - final loss).');
  L.push(`total bench time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(L.join('\n'));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ rounds, tau, runs }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
