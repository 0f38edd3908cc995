#!/usr/bin/env node
/*
 * How many wasm threads a ZO step should use, by model size: one full step (two perturbed forwards and the
 * update, `zoStepPerturbed` on a `CausalLM` in host placement, tfjs-wasm) timed with one XNNPACK thread and with
 * one per core (at most 8), side by side, for a ladder of LLaMA models from 0.2M to 35M parameters. Optionally
 * again while another process spins on one core (`--contend`), the case where a threaded pool waits for a
 * descheduled thread. The thread count is fixed when the backend starts, so every (model, threads) cell runs
 * in its own child process; the cells are interleaved over the repeats so that a burst of other load falls on
 * both columns alike. See bench/README.md.
 *
 *   npx tsc -b && node bench/wasm-threads-bench.cjs [--quick] [--contend] [--repeats N] [--threads N] [--json out.json]
 *                                                    [--models xs,demo,s,m,l,xl] [--steps N]
 *   node bench/wasm-threads-bench.cjs --child MODEL:THREADS:STEPS     (one cell; the main run spawns it)
 *
 * Loads the compiled packages (@fedkseed/models, @fedkseed/zo), never the TypeScript sources.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const { spawn, spawnSync } = require('node:child_process');
const { parseArgs: parseArgv } = require('node:util');

const { otherLoad, readCpuTicks } = require('./lib/cpu-load.cjs');
const { llama } = require('./lib/llama-config.cjs');
const { fmtRatio, table } = require('./lib/text-table.cjs');

const CHILD_MARKER = 'WASM_THREADS_BENCH_JSON ';
const SEQ = 64;
const BATCH = 2;

/** The ladder; `demo` is the shape of the federated demo model (hidden 128, 2 layers, 759 tokens). */
const MODELS = {
  xs: llama(64, 2, 2, 192, 759),
  demo: llama(128, 2, 4, 384, 759),
  s: llama(192, 3, 6, 512, 2000),
  m: llama(256, 4, 4, 768, 4000),
  l: llama(384, 6, 6, 1024, 8000),
  xl: llama(512, 8, 8, 1536, 8000),
};

function parseArgs(argv) {
  const { values } = parseArgv({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      contend: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '3' },
      threads: { type: 'string' },
      json: { type: 'string' },
      models: { type: 'string' },
      steps: { type: 'string' },
      child: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(
      'usage: node bench/wasm-threads-bench.cjs [--quick] [--contend] [--repeats N] [--threads N] [--json out.json]\n' +
        '                                         [--models xs,demo,s,m,l,xl] [--steps N]',
    );
    process.exit(0);
  }
  const int = (v) => (v === undefined ? null : parseInt(v, 10));
  const child = values.child ? values.child[0].split(':') : null;
  return {
    quick: values.quick,
    contend: values.contend,
    repeats: Math.max(1, int(values.repeats)),
    threads: values.threads === undefined ? null : Math.max(2, int(values.threads)),
    json: values.json ?? null,
    models: values.models ? values.models.split(',') : null,
    steps: values.steps === undefined ? null : Math.max(1, int(values.steps)),
    child: child ? { model: child[0], threads: child[1], steps: parseInt(child[2], 10) } : null,
  };
}

const now = () => process.hrtime.bigint();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------------------------- one cell

/** Runs in the child: FEDKSEED_WASM_THREADS decides the pool; prints the per-step times as one JSON line. */
async function child({ model: name, steps }) {
  const models = require('@fedkseed/models');
  const zo = require('@fedkseed/zo');
  const t0 = now();
  const selection = await models.selectBackend('wasm'); // FEDKSEED_WASM_THREADS (set by the parent) decides
  const startSeconds = Number(now() - t0) / 1e9;
  const tfWasm = require(
    require.resolve('@tensorflow/tfjs-backend-wasm', { paths: [require.resolve('@fedkseed/models')] }),
  );
  const config = MODELS[name];
  const model = models.createRandomModel(config, 1);
  const seeds = new zo.CandidateSeeds(7n, 4096);
  const ids = Array.from({ length: BATCH }, (_, b) =>
    Array.from({ length: SEQ }, (_, t) => (b * 131 + t * 17 + 3) % config.vocabSize),
  );
  const batch = { inputIds: ids, labels: ids.map((row) => row.map((id, t) => (t < SEQ / 4 ? -100 : id))) };
  const step = (i) =>
    zo.zoStepPerturbed(model.updateTarget(), (p) => model.lossAt(batch, p), {
      seedIndex: i,
      key: seeds.key(i),
      eps: 5e-4,
      lr: 1e-6,
    });
  for (let i = 0; i < 2; i++) await step(i); // warm-up: kernels, first allocations
  const samples = [];
  const load0 = readCpuTicks();
  for (let i = 0; i < steps; i++) {
    const s0 = now();
    await step(2 + i);
    samples.push(Number(now() - s0) / 1e9);
  }
  const result = {
    model: name,
    numParameters: model.parameters().numParameters,
    threads: tfWasm.getThreadsCount(),
    backendStartSeconds: startSeconds,
    note: selection.backend === 'wasm' ? undefined : `backend ${selection.backend}`,
    samples,
    otherLoadCores: otherLoad(load0),
  };
  process.stdout.write(`${CHILD_MARKER}${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------- main run

/** One cell in a child process, with a spinning competitor on one core during it when `contend`. */
function runCell(name, threads, steps, contend) {
  const spinner = contend ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
  try {
    const r = spawnSync(process.execPath, [__filename, '--child', `${name}:${threads}:${steps}`], {
      env: { ...process.env, FEDKSEED_WASM_THREADS: String(threads) },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const line = (r.stdout || '').split('\n').find((l) => l.startsWith(CHILD_MARKER));
    if (r.status !== 0 || !line) throw new Error(`cell ${name} x${threads} failed: ${r.stderr || r.signal}`);
    return JSON.parse(line.slice(CHILD_MARKER.length));
  } finally {
    spinner?.kill('SIGKILL');
  }
}

function main(opts) {
  const cores = os.cpus().length;
  const many = Math.min(8, opts.threads ?? cores);
  const names = opts.models ?? (opts.quick ? ['xs', 'demo', 'm'] : Object.keys(MODELS));
  for (const n of names) if (!MODELS[n]) throw new Error(`unknown model ${n}: use ${Object.keys(MODELS).join(', ')}`);
  const steps = opts.steps ?? (opts.quick ? 4 : 8);
  const modes = opts.contend ? [false, true] : [false];
  const log = (msg) => process.stderr.write(`[wasm-threads-bench] ${msg}\n`);
  const cells = new Map(); // `${mode}/${name}/${threads}` -> step medians over repeats
  const loads = [];
  const load0 = readCpuTicks();
  const t0 = now();
  for (let rep = 0; rep < opts.repeats; rep++) {
    for (const contend of modes) {
      for (const name of names) {
        // Alternate which thread count goes first, so a trend in the background load favours neither.
        const order = rep % 2 === 0 ? [1, many] : [many, 1];
        for (const threads of order) {
          const r = runCell(name, threads, steps, contend);
          if (r.threads !== threads) log(`warning: ${name} asked for ${threads} threads, ran ${r.threads}`);
          const key = `${contend ? 'contended' : 'plain'}/${name}/${threads}`;
          if (!cells.has(key)) cells.set(key, { numParameters: r.numParameters, medians: [], bests: [] });
          cells.get(key).medians.push(median(r.samples));
          cells.get(key).bests.push(Math.min(...r.samples));
          if (!contend && r.otherLoadCores != null) loads.push(r.otherLoadCores);
          log(
            `rep ${rep + 1}/${opts.repeats} ${contend ? 'contended ' : ''}${name} x${threads}: ${(median(r.samples) * 1e3).toFixed(1)} ms/step (other load ${r.otherLoadCores?.toFixed(2) ?? 'n/a'} cores)`,
          );
        }
      }
    }
  }
  const out = {
    niceness: os.getPriority(),
    machine: `${os.cpus()[0]?.model ?? 'unknown'} x ${cores} logical CPUs; ${os.type()} ${os.release()} ${os.arch()}; node ${process.version}`,
    batch: `${BATCH} x ${SEQ} tokens`,
    repeats: opts.repeats,
    stepsPerCell: steps,
    threads: many,
    otherLoadCores: otherLoad(load0),
    otherLoadPerCellCores: loads.length
      ? { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) }
      : null,
    wallSeconds: Number(now() - t0) / 1e9,
    rows: [],
  };
  for (const contend of modes) {
    for (const name of names) {
      const one = cells.get(`${contend ? 'contended' : 'plain'}/${name}/1`);
      const n = cells.get(`${contend ? 'contended' : 'plain'}/${name}/${many}`);
      out.rows.push({
        mode: contend ? 'one core taken by a spinning process' : 'as found',
        model: name,
        hiddenSize: MODELS[name].hiddenSize,
        numLayers: MODELS[name].numLayers,
        vocabSize: MODELS[name].vocabSize,
        numParameters: one.numParameters,
        oneThreadMs: median(one.medians) * 1e3,
        manyThreadsMs: median(n.medians) * 1e3,
        oneThreadRepeatsMs: one.medians.map((x) => +(x * 1e3).toFixed(1)),
        manyThreadsRepeatsMs: n.medians.map((x) => +(x * 1e3).toFixed(1)),
        speedup: median(one.medians) / median(n.medians),
        oneThreadBestMs: Math.min(...one.bests) * 1e3,
        manyThreadsBestMs: Math.min(...n.bests) * 1e3,
        bestSpeedup: Math.min(...one.bests) / Math.min(...n.bests),
      });
    }
  }
  const fmtMs = (x) => `${x.toFixed(1)} ms`;
  const rows = [
    [
      'mode',
      'model',
      'parameters',
      '1 thread',
      `${many} threads`,
      `speedup of ${many}`,
      'best step (1 | many)',
      'best-step speedup',
      'per-repeat medians (1 | many)',
    ],
  ];
  for (const r of out.rows) {
    rows.push([
      r.mode,
      `${r.model} (h${r.hiddenSize} L${r.numLayers} V${r.vocabSize})`,
      `${(r.numParameters / 1e6).toFixed(2)}M`,
      fmtMs(r.oneThreadMs),
      fmtMs(r.manyThreadsMs),
      fmtRatio(r.speedup),
      `${fmtMs(r.oneThreadBestMs)} | ${fmtMs(r.manyThreadsBestMs)}`,
      fmtRatio(r.bestSpeedup),
      `${r.oneThreadRepeatsMs.join(' ')} | ${r.manyThreadsRepeatsMs.join(' ')}`,
    ]);
  }
  console.log('wasm threads per ZO step, by model size');
  console.log(`machine: ${out.machine}; niceness ${out.niceness}`);
  console.log(
    `step: zoStepPerturbed on CausalLM (host weights, tfjs-wasm), batch ${out.batch}; median of ${steps} steps after 2 warm-ups per cell, median of ${opts.repeats} cells (own process each, interleaved); best step: the fastest single step of all cells (the least disturbed by other load)`,
  );
  console.log(table(rows));
  const l = out.otherLoadPerCellCores;
  console.log(
    `other CPU load: ${out.otherLoadCores?.toFixed(2) ?? 'n/a'} cores of ${cores} over the run` +
      (l
        ? `; per uncontended cell min ${l.min.toFixed(2)}, median ${l.median.toFixed(2)}, max ${l.max.toFixed(2)}`
        : ''),
  );
  console.log(`bench wall time: ${out.wallSeconds.toFixed(1)} s`);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(out, null, 2) + '\n');
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child) {
  child(opts.child).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main(opts);
}
