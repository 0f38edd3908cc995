#!/usr/bin/env node
/*
 * End-to-end zeroth-order step benchmark: one full FedKSeed/MeZO step (two perturbed forwards + the update) of
 * @fedkseed/models on TensorFlow.js (wasm), side by side with the official FedKSeed step in PyTorch
 * (bench/reference/torch_zo_step.py) on the same weights, with the reference BLAS and with OpenBLAS; plus where
 * our time goes and the peak memory of a ~50M-parameter model. See bench/README.md.
 *
 *   npx tsc -b && node bench/zo-step-bench.cjs [--quick] [--json out.json] [--no-torch] [--cpu]
 *                                               [--python /usr/bin/python3] [--repeats N] [--keep-model]
 *   node bench/zo-step-bench.cjs --memory [--quick]     (the peak-memory run alone; the main run spawns it)
 *
 * Loads the compiled packages (packages/models/dist, packages/zo/dist), never the TypeScript sources.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { otherLoad, readCpuTicks } = require('./lib/cpu-load.cjs');
const { llama } = require('./lib/llama-config.cjs');
const { fmtRatio, fmtS, table } = require('./lib/text-table.cjs');

const ROOT = path.resolve(__dirname, '..');
const TORCH_SCRIPT = path.join(__dirname, 'reference', 'torch_zo_step.py');
const OUT_DIR = path.join(__dirname, 'out');
const MiB = 1024 * 1024;
const MEMORY_MARKER = 'ZO_STEP_BENCH_MEMORY_JSON ';

const REFERENCE_BLAS_DIRS = ['/usr/lib/x86_64-linux-gnu/blas', '/usr/lib/x86_64-linux-gnu/lapack'];
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

const EPS = 5e-4;
const LR = 3e-7;
const TARGET_STEP_RATIO = 0.5; // our step / reference step
const TORCH_THREADS = 2;

// ---------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    quick: false,
    json: null,
    torch: true,
    cpu: false,
    memory: false,
    keepModel: false,
    python: process.env.FEDKSEED_PYTHON || '/usr/bin/python3',
    repeats: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = value();
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--cpu') o.cpu = true;
    else if (a === '--memory') o.memory = true;
    else if (a === '--keep-model') o.keepModel = true;
    else if (a === '--python') o.python = value();
    else if (a === '--repeats') o.repeats = Math.max(1, parseInt(value(), 10));
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node bench/zo-step-bench.cjs [--quick] [--json out.json] [--no-torch] [--cpu] [--python PATH] [--repeats N] [--keep-model]\n' +
          '       node bench/zo-step-bench.cjs --memory [--quick]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));

const PLAN = opts.quick
  ? {
      model: llama(128, 2, 2, 384, 2000),
      seq: 64,
      memoryModel: llama(256, 4, 4, 768, 4000),
      forwardWarmup: 1,
      forwardRepeats: 3,
      stepWarmup: 1,
      stepRepeats: opts.repeats || 3,
      torchWarmup: 1,
      torchRepeats: opts.repeats || 3,
      cpuRepeats: 1,
    }
  : {
      model: llama(384, 6, 6, 1024, 8000),
      seq: 128,
      memoryModel: llama(512, 12, 8, 1536, 8000),
      forwardWarmup: 2,
      forwardRepeats: 9,
      stepWarmup: 2,
      stepRepeats: opts.repeats || 7,
      torchWarmup: 1,
      torchRepeats: opts.repeats || 7,
      cpuRepeats: 2,
    };
const MEMORY_SEQ = 128;
const MEMORY_STEPS = 3;

// ---------------------------------------------------------------------------------------------- loading

function loadPackages() {
  for (const name of ['@fedkseed/models', '@fedkseed/zo']) {
    try {
      require.resolve(name);
    } catch {
      console.error(`${name} is not built: build first with \`npm run build\` at the repo root.`);
      process.exit(2);
    }
  }
  const models = require('@fedkseed/models');
  const zo = require('@fedkseed/zo');
  // The same tfjs instances the models package uses.
  const tf = require(require.resolve('@tensorflow/tfjs-core', { paths: [path.join(ROOT, 'packages', 'models')] }));
  let tfWasm = null;
  try {
    tfWasm = require(
      require.resolve('@tensorflow/tfjs-backend-wasm', { paths: [path.join(ROOT, 'packages', 'models')] }),
    );
  } catch {
    /* reported as unknown threads */
  }
  return { models, zo, tf, tfWasm };
}

// ---------------------------------------------------------------------------------------------- timing

const now = () => process.hrtime.bigint();
const secondsSince = (t0) => Number(now() - t0) / 1e9;

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median_s: median, min_s: sorted[0], max_s: sorted[sorted.length - 1], samples: samples.length };
}

/** Median of `repeats` timed (async) calls after `warmup` untimed ones. */
async function measure(fn, { warmup = 1, repeats = 5 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = now();
    await fn();
    samples.push(secondsSince(t0));
  }
  return stats(samples);
}

const log = (msg) => process.stderr.write(`[zo-step-bench] ${msg}\n`);

// ---------------------------------------------------------------------------------------------- formatting

const fmtMs = (s) => (s == null ? 'n/a' : `${(s * 1e3).toFixed(1)} ms`);
const fmtInt = (n) => n.toLocaleString('en-US');
const fmtPct = (part, whole) => (part == null || !whole ? '' : `${((100 * part) / whole).toFixed(0)}%`);
const fmtGf = (flops, s) => (s ? `${(flops / s / 1e9).toFixed(2)} GFLOP/s` : 'n/a');
const fmtMiB = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------- model facts

function describeModel(model, cfg, batch, seq) {
  const params = model.parameters();
  const size = (name) => {
    const t = params.tensors.find((x) => x.name === name);
    return t ? t.data.length : 0;
  };
  const total = params.numParameters;
  const embed = size('model.embed_tokens.weight');
  const lmHead = cfg.tieWordEmbeddings ? 0 : size('lm_head.weight');
  const headParams = cfg.vocabSize * cfg.hiddenSize; // the head's matmul, tied or not
  const nonEmbedding = total - embed - lmHead;
  const tokens = batch * seq;
  const linearFlops = 2 * (nonEmbedding + headParams) * tokens;
  const attentionFlops = 4 * cfg.numLayers * seq * seq * cfg.hiddenSize * batch;
  return {
    total,
    embedding: embed,
    lm_head: lmHead,
    non_embedding: nonEmbedding,
    fp32_bytes: total * 4,
    tokens,
    forward_flops: linearFlops + attentionFlops,
    linear_flops: linearFlops,
    attention_flops: attentionFlops,
    formula:
      `FLOPs = 2 * (non-embedding params + lm_head params) * tokens + 4 * layers * seq^2 * hidden * batch` +
      ` = 2 * (${fmtInt(nonEmbedding)} + ${fmtInt(headParams)}) * ${tokens} + 4 * ${cfg.numLayers} * ${seq}^2 * ${cfg.hiddenSize} * ${batch}` +
      ` = ${((linearFlops + attentionFlops) / 1e9).toFixed(3)} GFLOP`,
  };
}

const shapeLine = (cfg) =>
  `LLaMA-style hidden ${cfg.hiddenSize}, ${cfg.numLayers} layers, ${cfg.numHeads} heads x ${cfg.headDim}` +
  ` (kv heads ${cfg.numKvHeads}), intermediate ${cfg.intermediateSize}, vocab ${cfg.vocabSize}, ` +
  `${cfg.tieWordEmbeddings ? 'tied' : 'untied'} head`;

/** Deterministic token ids in [0, vocab). */
function makeBatch(vocab, seq) {
  const ids = [];
  let x = 0x2545f491;
  for (let i = 0; i < seq; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    ids.push(x % vocab);
  }
  return { inputIds: [ids], labels: [ids.slice()] };
}

function paramChecksum(params) {
  let s = 0;
  for (const t of params.tensors) for (let i = 0; i < t.data.length; i++) s += t.data[i];
  return s;
}

// ---------------------------------------------------------------------------------------------- our ZO step

/** Times `steps` zoStepPerturbed calls, splitting each into its two forwards and the rest (the update). */
async function timeSteps(zo, model, batch, seeds, firstIndex, warmup, repeats) {
  const params = model.parameters();
  let fwd = [];
  const lossAt = async (p) => {
    const t0 = now();
    const l = await model.loss(batch, p);
    fwd.push(secondsSince(t0));
    return l;
  };
  const total = [];
  const forwards = [];
  const rest = [];
  let last = null;
  for (let i = 0; i < warmup + repeats; i++) {
    fwd = [];
    const idx = firstIndex + i;
    const t0 = now();
    const r = await zo.zoStepPerturbed(params, lossAt, { seedIndex: idx, key: seeds.key(idx), eps: EPS, lr: LR });
    const dt = secondsSince(t0);
    last = r;
    if (i < warmup) continue;
    const f = fwd[0] + fwd[1];
    total.push(dt);
    forwards.push(f);
    rest.push(dt - f);
  }
  return {
    step: stats(total),
    forwards_2: stats(forwards),
    update_and_rest: stats(rest),
    last: { loss_plus: last.lossPlus, loss_minus: last.lossMinus, scalar_grad: last.scalarGrad, skipped: last.skipped },
  };
}

/**
 * Kernel times of an unperturbed forward + loss, from tf.profile (wasm kernels are timed on the wall clock): three
 * profiled runs, the one with the median wall time is reported.
 */
async function profileForward(tf, model, batch) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t0 = now();
    const info = await tf.profile(async () => {
      await model.loss(batch);
    });
    runs.push(await summarizeProfile(tf, info, secondsSince(t0), model));
  }
  runs.sort((a, b) => a.wall_s - b.wall_s);
  return { ...runs[1], profiled_runs: runs.length, wall_s_all: runs.map((r) => r.wall_s) };
}

async function summarizeProfile(tf, info, wall, model) {
  const byName = new Map();
  const matmul = { linear_s: 0, linear_flops: 0, attention_s: 0, attention_flops: 0, calls: 0 };
  let total = 0;
  const c = model.config;
  const linearIn = new Set([c.hiddenSize, c.intermediateSize, c.numHeads * c.headDim]);
  const linearOut = new Set([
    c.hiddenSize,
    c.intermediateSize,
    c.numHeads * c.headDim,
    c.numKvHeads * c.headDim,
    c.vocabSize,
  ]);
  const composite = new Map();
  let compositeCalls = 0;
  for (const k of info.kernels) {
    const ms = Number(await k.kernelTimeMs) || 0;
    // Composite ops (e.g. tf.logSoftmax, a custom-gradient op) are profiled as a whole and again as the kernels
    // they run: count only kernels registered for the backend.
    if (!tf.getKernel(k.name, tf.getBackend())) {
      composite.set(k.name, (composite.get(k.name) || 0) + ms / 1e3);
      compositeCalls++;
      continue;
    }
    total += ms;
    byName.set(k.name, (byName.get(k.name) || 0) + ms);
    if (k.name === 'BatchMatMul' || k.name === 'MatMul' || k.name === '_FusedMatMul') {
      const [a, b] = k.inputShapes;
      const m = a[a.length - 2];
      const kk = a[a.length - 1];
      const n = b[b.length - 1];
      const batchDims = a.slice(0, -2).reduce((p, d) => p * d, 1);
      const flops = 2 * m * kk * n * batchDims;
      // Linear layers multiply a weight [out, in] by activations [in, tokens] (the head maybe by fewer columns);
      // attention multiplies per-head [T, d] x [d, S] and [d, S] x [S, T] pieces.
      const isAttention = !(linearOut.has(m) && linearIn.has(kk));
      matmul.calls++;
      if (isAttention) {
        matmul.attention_s += ms / 1e3;
        matmul.attention_flops += flops;
      } else {
        matmul.linear_s += ms / 1e3;
        matmul.linear_flops += flops;
      }
    }
  }
  const kernels = [...byName.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, s: ms / 1e3 }));
  return {
    wall_s: wall,
    kernels_total_s: total / 1e3,
    kernels,
    matmul,
    kernel_calls: info.kernels.length - compositeCalls,
    composite_ops_s: Object.fromEntries(composite),
  };
}

/**
 * The weight handling of a forward, measured inside real forwards: engine.perturbInto (each weight's perturbed
 * values w + eps z made in one pass, written by WeightSource straight into the tensor's memory: the wasm heap)
 * and tf.tensor() (the upload: the wasm backend copies the values into its heap; unperturbed weights and a few
 * small inputs) are wrapped with timers for a few perturbed and unperturbed forwards, then restored.
 */
async function weightHandling(tf, zo, model, batch, key, repeats) {
  const engine = zo.defaultPerturbEngine();
  const origPerturbInto = engine.perturbInto;
  const origTensor = tf.tensor;
  const origTensor2d = tf.tensor2d;
  let perturbS = 0;
  let perturbCalls = 0;
  let tensorS = 0;
  engine.perturbInto = function (...args) {
    const t0 = now();
    try {
      return origPerturbInto.apply(this, args);
    } finally {
      perturbS += secondsSince(t0);
      perturbCalls++;
    }
  };
  const timedUpload = (orig) =>
    function (...args) {
      const t0 = now();
      try {
        return orig.apply(this, args);
      } finally {
        tensorS += secondsSince(t0);
      }
    };
  tf.tensor = timedUpload(origTensor);
  tf.tensor2d = timedUpload(origTensor2d);
  const pert = { wall: [], perturb: [], tensor: [] };
  const unpert = { wall: [], tensor: [] };
  const diff = [];
  let calls = 0;
  const perturbed = async () => {
    perturbS = 0;
    perturbCalls = 0;
    tensorS = 0;
    const t0 = now();
    await model.loss(batch, { key, scale: EPS });
    const wall = secondsSince(t0);
    pert.wall.push(wall);
    pert.perturb.push(perturbS);
    pert.tensor.push(tensorS);
    calls = perturbCalls;
    return wall;
  };
  const unperturbed = async () => {
    tensorS = 0;
    const t0 = now();
    await model.loss(batch);
    const wall = secondsSince(t0);
    unpert.wall.push(wall);
    unpert.tensor.push(tensorS);
    return wall;
  };
  try {
    // Pairs, in alternating order so that neither kind always runs first.
    for (let i = 0; i < repeats; i++) {
      if (i % 2 === 0) {
        const p = await perturbed();
        diff.push(p - (await unperturbed()));
      } else {
        const u = await unperturbed();
        diff.push((await perturbed()) - u);
      }
    }
  } finally {
    engine.perturbInto = origPerturbInto;
    tf.tensor = origTensor;
    tf.tensor2d = origTensor2d;
  }
  const med = (a) => stats(a).median_s;
  return {
    instrumented_pairs: repeats,
    pair_difference_s: med(diff),
    perturbed: {
      wall_s: med(pert.wall),
      perturb_into_s: med(pert.perturb),
      perturb_into_calls: calls,
      tensor_s: med(pert.tensor),
    },
    unperturbed: { wall_s: med(unpert.wall), tensor_s: med(unpert.tensor) },
  };
}

/** One update pass (w -= lr g z over every tensor), on a copy of the weights. */
async function updatePass(zo, model, key, repeats) {
  const engine = zo.defaultPerturbEngine();
  const tensors = model.parameters().tensors;
  const copies = tensors.map((t) => t.data.slice());
  const r = await measure(
    () => {
      tensors.forEach((t, i) => engine.axpy(copies[i], key, t.elementOffset, -LR * 1.2345));
    },
    { warmup: 1, repeats },
  );
  return r;
}

// ---------------------------------------------------------------------------------------------- torch

function runTorch(label, extraEnv, modelDir, batchFile, tsLoss) {
  const args = [
    TORCH_SCRIPT,
    '--model-dir',
    modelDir,
    '--batch',
    batchFile,
    '--ts-loss',
    String(tsLoss),
    '--threads',
    String(TORCH_THREADS),
    '--warmup',
    String(PLAN.torchWarmup),
    '--repeats',
    String(PLAN.torchRepeats),
    '--forward-repeats',
    String(opts.quick ? 3 : 5),
    '--eps',
    String(EPS),
    '--lr',
    String(LR),
  ];
  const env = { ...process.env, ...extraEnv };
  log(
    `torch (${label}): ${Object.entries(extraEnv)
      .map(([k, v]) => `${k}=${v} `)
      .join('')}${opts.python} ${path.relative(ROOT, TORCH_SCRIPT)} ...`,
  );
  const start = readCpuTicks();
  const t0 = now();
  const p = spawnSync(opts.python, args, {
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wall = secondsSince(t0);
  const load = otherLoad(start);
  if (p.error) return { label, error: `could not run ${opts.python}: ${p.error.message}` };
  let parsed = null;
  try {
    parsed = JSON.parse(p.stdout);
  } catch {
    /* reported below */
  }
  if (p.status !== 0 || !parsed || parsed.error) {
    return {
      label,
      error: (parsed && parsed.error) || `exit status ${p.status}; stdout: ${String(p.stdout).slice(0, 500)}`,
    };
  }
  return { label, env: extraEnv, wall_s: wall, other_cpu_load_cores: load, ...parsed };
}

// ---------------------------------------------------------------------------------------------- memory mode

/**
 * Peak resident set of this process in KiB: VmHWM from /proc/self/status where there is one (the high-water mark
 * of this process's own address space), else process.resourceUsage().maxRSS. On Linux maxRSS (getrusage
 * ru_maxrss) of a spawned child starts at the parent's RSS at fork time and survives exec, so a child of a big
 * parent would report the parent's size; VmHWM does not.
 */
function peakKiB() {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return { kib: Number(m[1]), source: 'VmHWM', max_rss_kib: process.resourceUsage().maxRSS };
  } catch {
    /* not Linux */
  }
  const k = process.resourceUsage().maxRSS;
  return { kib: k, source: 'maxRSS', max_rss_kib: k };
}

async function memoryMode() {
  const { models, zo, tf } = loadPackages();
  await models.selectBackend('wasm', undefined, { numParameters: models.countParameters(PLAN.memoryModel) });
  const cfg = PLAN.memoryModel;
  const afterInit = peakKiB();
  const t0 = now();
  const model = models.createRandomModel(cfg, 7);
  const buildS = secondsSince(t0);
  const afterBuild = peakKiB();
  const facts = describeModel(model, cfg, 1, MEMORY_SEQ);
  const batch = makeBatch(cfg.vocabSize, MEMORY_SEQ);
  const seeds = new zo.CandidateSeeds(0x6d656dn, 4096);
  const stepTimes = [];
  let last = null;
  for (let i = 0; i < MEMORY_STEPS; i++) {
    const s0 = now();
    last = await zo.zoStepPerturbed(model.parameters(), (p) => model.loss(batch, p), {
      seedIndex: i,
      key: seeds.key(i),
      eps: EPS,
      lr: LR,
    });
    stepTimes.push(secondsSince(s0));
  }
  const peak = peakKiB();
  let wasmHeap = null;
  try {
    const b = tf.backend();
    if (b && b.wasm && b.wasm.HEAPU8) wasmHeap = b.wasm.HEAPU8.buffer.byteLength;
  } catch {
    /* unknown */
  }
  const target = 1.5 * facts.fp32_bytes + 256 * MiB;
  const peakBytes = peak.kib * 1024;
  const r = {
    config: cfg,
    shape: shapeLine(cfg),
    seq: MEMORY_SEQ,
    steps: MEMORY_STEPS,
    parameters: facts.total,
    fp32_bytes: facts.fp32_bytes,
    build_s: buildS,
    step_s: stepTimes,
    last_step: { loss_plus: last.lossPlus, loss_minus: last.lossMinus, scalar_grad: last.scalarGrad },
    peak_source: peak.source,
    max_rss_after_init_bytes: afterInit.kib * 1024,
    max_rss_after_build_bytes: afterBuild.kib * 1024,
    peak_rss_bytes: peakBytes,
    resource_usage_max_rss_bytes: peak.max_rss_kib * 1024,
    rss_now_bytes: process.memoryUsage().rss,
    wasm_heap_bytes: wasmHeap,
    tf_tensor_bytes: tf.memory().numBytes,
    target_bytes: target,
    target_formula: '1.5 * fp32 model bytes + 256 MiB',
    ratio: peakBytes / target,
    pass: peakBytes <= target,
  };
  console.log(`peak memory: ${r.shape}; ${fmtInt(r.parameters)} parameters, fp32 ${fmtMiB(r.fp32_bytes)}`);
  console.log(
    `  peak RSS (${r.peak_source}) after backend init ${fmtMiB(r.max_rss_after_init_bytes)}, after building the model ${fmtMiB(r.max_rss_after_build_bytes)}, ` +
      `after ${MEMORY_STEPS} ZO steps at seq ${MEMORY_SEQ} ${fmtMiB(r.peak_rss_bytes)} (wasm heap ${wasmHeap == null ? 'n/a' : fmtMiB(wasmHeap)}; ` +
      `process.resourceUsage().maxRSS ${fmtMiB(r.resource_usage_max_rss_bytes)})`,
  );
  console.log(
    `  target ${r.target_formula} = ${fmtMiB(target)}: peak ${fmtRatio(r.ratio)} of target, ${r.pass ? 'PASS' : 'FAIL'}; ` +
      `steps ${stepTimes.map((s) => fmtS(s)).join(', ')}`,
  );
  console.log(MEMORY_MARKER + JSON.stringify(r));
}

function runMemoryChild() {
  const args = [__filename, '--memory', ...(opts.quick ? ['--quick'] : [])];
  log(
    `peak memory: spawning ${path.basename(process.execPath)} ${path.relative(ROOT, __filename)} ${args.slice(1).join(' ')}`,
  );
  const p = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (p.error) return { error: p.error.message };
  const line = String(p.stdout)
    .split('\n')
    .find((l) => l.startsWith(MEMORY_MARKER));
  if (p.status !== 0 || !line) return { error: `exit status ${p.status}; stdout: ${String(p.stdout).slice(0, 500)}` };
  return JSON.parse(line.slice(MEMORY_MARKER.length));
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  const t0 = now();
  const cpuStart = readCpuTicks();
  const { models, zo, tf, tfWasm } = loadPackages();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus.length ? cpus[0].model : 'unknown',
    logical_cpus: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
  const engine = zo.defaultPerturbEngine();
  const engineInfo = typeof engine.info === 'function' ? engine.info() : null;
  const out = {
    machine,
    quick: opts.quick,
    eps: EPS,
    lr: LR,
    notes: [],
    engine: { implementation: engine.implementation, info: engineInfo },
  };
  if (engine.implementation !== 'native') {
    out.notes.push(
      `the perturbation engine is '${engine.implementation}', not the native addon: build it with \`npm run build:native -w @fedkseed/zo\``,
    );
  }

  // ---------------------------------------------------------------------------- memory (child process)
  // First, while this process is still small (see peakKiB).
  out.memory = runMemoryChild();

  // ---------------------------------------------------------------------------- ours, wasm
  // The library's thread choice for this model (FEDKSEED_WASM_THREADS overrides it; the line below reports it).
  const sel = await models.selectBackend('wasm', undefined, { numParameters: models.countParameters(PLAN.model) });
  const tfjsVersion = tf.version_core || (tf.version && tf.version['tfjs-core']) || 'unknown';
  const wasmThreads = tfWasm && tfWasm.getThreadsCount ? tfWasm.getThreadsCount() : null;
  out.tfjs = { version: tfjsVersion, backend: sel.backend, wasm_threads: wasmThreads };
  const cfg = PLAN.model;
  const seq = PLAN.seq;
  log(`building the random model (${shapeLine(cfg)})`);
  const tb = now();
  const model = models.createRandomModel(cfg, 1);
  const buildS = secondsSince(tb);
  const facts = describeModel(model, cfg, 1, seq);
  out.model = { config: cfg, shape: shapeLine(cfg), seq, batch: 1, build_s: buildS, ...facts };
  const batch = makeBatch(cfg.vocabSize, seq);

  // The same weights for the reference, written before any step changes them.
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const modelDir = fs.mkdtempSync(path.join(OUT_DIR, 'zo-step-model-'));
  await model.save(modelDir);
  const batchFile = path.join(modelDir, 'batch.json');
  fs.writeFileSync(batchFile, JSON.stringify({ input_ids: batch.inputIds, labels: batch.labels }));
  out.model.saved_to = path.relative(ROOT, modelDir);

  const oursStart = readCpuTicks();
  const tsLoss = await model.loss(batch);
  out.ts_loss = tsLoss;
  log(`ours (wasm): forward, ${PLAN.forwardRepeats} timed after ${PLAN.forwardWarmup} warm-up`);
  const forward = await measure(() => model.loss(batch), {
    warmup: PLAN.forwardWarmup,
    repeats: PLAN.forwardRepeats,
  });
  const seeds = new zo.CandidateSeeds(0x2b5eedn, 4096);
  const probeKey = seeds.key(4095);
  log('ours (wasm): kernel profile of one forward, weight handling, update pass');
  const profile = await profileForward(tf, model, batch);
  const handling = await weightHandling(tf, zo, model, batch, probeKey, opts.quick ? 3 : 7);
  const update = await updatePass(zo, model, probeKey, opts.quick ? 3 : 5);
  log(`ours (wasm): ZO step, ${PLAN.stepRepeats} timed after ${PLAN.stepWarmup} warm-up`);
  const steps = await timeSteps(zo, model, batch, seeds, 0, PLAN.stepWarmup, PLAN.stepRepeats);
  const oursLoad = otherLoad(oursStart);
  out.ours = {
    backend: 'wasm',
    forward,
    forward_gflops: facts.forward_flops / forward.median_s / 1e9,
    ...steps,
    update_pass: update,
    weight_handling: handling,
    profile,
    params_checksum_sum: paramChecksum(model.parameters()),
    other_cpu_load_cores: oursLoad,
  };

  // ---------------------------------------------------------------------------- ours, cpu (optional)
  if (opts.cpu) {
    log(`ours (cpu backend): forward and ZO step, ${PLAN.cpuRepeats} timed after 1 warm-up each (slow)`);
    const cpuStart2 = readCpuTicks();
    await models.selectBackend('cpu');
    const f = await measure(() => model.loss(batch), { warmup: 1, repeats: PLAN.cpuRepeats });
    const s = await timeSteps(zo, model, batch, seeds, 100, 1, PLAN.cpuRepeats);
    out.ours_cpu = {
      backend: 'cpu',
      forward: f,
      forward_gflops: facts.forward_flops / f.median_s / 1e9,
      ...s,
      other_cpu_load_cores: otherLoad(cpuStart2),
    };
    await models.selectBackend('wasm');
  }

  // ---------------------------------------------------------------------------- torch
  out.torch = [];
  if (!opts.torch) {
    out.notes.push('torch skipped (--no-torch)');
  } else {
    const refDirs = REFERENCE_BLAS_DIRS.filter((d) => fs.existsSync(d));
    const refEnv = refDirs.length
      ? { LD_LIBRARY_PATH: [...refDirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
      : {};
    out.torch.push(runTorch('reference BLAS', refEnv, modelDir, batchFile, tsLoss));
    if (fs.existsSync(OPENBLAS_DIR)) {
      out.torch.push(
        runTorch(
          'OpenBLAS',
          { LD_LIBRARY_PATH: [OPENBLAS_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
          modelDir,
          batchFile,
          tsLoss,
        ),
      );
    } else {
      out.torch.push({
        label: 'OpenBLAS',
        error: `${OPENBLAS_DIR} not found: install it with \`apt-get install -y libopenblas0-pthread\``,
      });
    }
  }
  if (!opts.keepModel) fs.rmSync(modelDir, { recursive: true, force: true });

  // ---------------------------------------------------------------------------- report
  const lines = [];
  const o = out.ours;
  const tOk = out.torch.filter((r) => !r.error);
  const tRef = out.torch.find((r) => r.label === 'reference BLAS' && !r.error) || null;
  const tOpen = out.torch.find((r) => r.label === 'OpenBLAS' && !r.error) || null;
  const fastest = tOk.length ? tOk.reduce((a, b) => (a.step.median_s <= b.step.median_s ? a : b)) : null;
  const ei = out.engine.info;

  lines.push(`FedKSeed ZO step benchmark${opts.quick ? ' (--quick: small model, few repeats)' : ''}`);
  lines.push(`machine: ${machine.cpu} x ${machine.logical_cpus} logical CPUs; ${machine.os}; node ${machine.node}`);
  lines.push(
    `ours: tfjs-core ${tfjsVersion}, backend ${sel.backend} (${wasmThreads == null ? '? threads' : `${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}`}); ` +
      `perturbation engine '${engine.implementation}'${ei ? ` (${ei.isa}, ${ei.threads} threads)` : ''}; zoStepPerturbed eps ${EPS}, lr ${LR}`,
  );
  if (tOk.length) {
    const t = tOk[0];
    lines.push(
      `torch: ${t.torch_version} (python ${t.python}), float32 CPU, torch.set_num_threads(${t.threads}); official MeZO step ` +
        `(4 regenerations of z, 2 forwards under inference_mode); OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`,
    );
  }
  lines.push(
    `model: ${out.model.shape}: ${fmtInt(facts.total)} parameters (embedding ${fmtInt(facts.embedding)}, lm_head ${fmtInt(facts.lm_head)}, non-embedding ${fmtInt(facts.non_embedding)}), fp32 ${fmtMiB(facts.fp32_bytes)}`,
  );
  lines.push(
    `batch: 1 x ${seq} tokens, labels = input ids (${seq - 1} predicted positions); random weights N(0, 0.02), norms 1`,
  );
  lines.push(`forward ${facts.formula}`);
  lines.push(
    `timing: medians; ours: forward ${PLAN.forwardRepeats} runs after ${PLAN.forwardWarmup} warm-up, step ${PLAN.stepRepeats} steps after ${PLAN.stepWarmup} warm-up; ` +
      `torch: step ${PLAN.torchRepeats} after ${PLAN.torchWarmup} warm-up`,
  );
  lines.push('');

  const head = ['', `ours (tfjs ${sel.backend})`];
  if (out.ours_cpu) head.push('ours (tfjs cpu)');
  const torchCols = out.torch;
  for (const r of torchCols) head.push(`torch, ${r.error ? r.label : r.blas.kind}`);
  const row = (name, ours, oursCpu, torchFn) => {
    const r = [name, ours];
    if (out.ours_cpu) r.push(oursCpu);
    for (const t of torchCols) r.push(t.error ? 'n/a' : torchFn(t));
    return r;
  };
  const oc = out.ours_cpu;
  lines.push(
    table(
      [
        head,
        row(
          'forward + loss (unperturbed)',
          `${fmtMs(o.forward.median_s)}  ${fmtGf(facts.forward_flops, o.forward.median_s)}`,
          oc ? `${fmtMs(oc.forward.median_s)}  ${fmtGf(facts.forward_flops, oc.forward.median_s)}` : '',
          (t) => `${fmtMs(t.forward.median_s)}  ${fmtGf(facts.forward_flops, t.forward.median_s)}`,
        ),
        row('forward + loss, 1 torch thread (info)', '', '', (t) =>
          t.forward_1_thread
            ? `${fmtMs(t.forward_1_thread.median_s)}  ${fmtGf(facts.forward_flops, t.forward_1_thread.median_s)}`
            : 'n/a',
        ),
        row(
          'ZO step (full)',
          `${fmtMs(o.step.median_s)}  (min ${fmtMs(o.step.min_s)})`,
          oc ? `${fmtMs(oc.step.median_s)}` : '',
          (t) => `${fmtMs(t.step.median_s)}  (min ${fmtMs(t.step.min_s)})`,
        ),
        row(
          '  2 forwards (perturbed)',
          `${fmtMs(o.forwards_2.median_s)}  ${fmtPct(o.forwards_2.median_s, o.step.median_s)}`,
          oc ? `${fmtMs(oc.forwards_2.median_s)}  ${fmtPct(oc.forwards_2.median_s, oc.step.median_s)}` : '',
          (t) =>
            `${fmtMs(t.step.breakdown_median_s.forwards_2)}  ${fmtPct(t.step.breakdown_median_s.forwards_2, t.step.median_s)}`,
        ),
        row(
          '  perturbation passes',
          'inside the forwards',
          oc ? 'inside the forwards' : '',
          (t) =>
            `${fmtMs(t.step.breakdown_median_s.perturb_3_passes)}  ${fmtPct(t.step.breakdown_median_s.perturb_3_passes, t.step.median_s)}  (3 x regenerate z + w += c eps z)`,
        ),
        row(
          '  update',
          `${fmtMs(o.update_and_rest.median_s)}  ${fmtPct(o.update_and_rest.median_s, o.step.median_s)}  (1 ${engine.implementation} axpy pass + step overhead)`,
          oc ? `${fmtMs(oc.update_and_rest.median_s)}` : '',
          (t) =>
            `${fmtMs(t.step.breakdown_median_s.update_1_pass)}  ${fmtPct(t.step.breakdown_median_s.update_1_pass, t.step.median_s)}  (zo_update: regenerate z + update)`,
        ),
        row(
          'loss on the batch (unperturbed)',
          tsLoss.toFixed(6),
          '',
          (t) =>
            `${t.loss.torch.toFixed(6)}  rel diff ${t.loss.rel_diff.toExponential(2)} ${t.loss.agree ? 'OK' : 'MISMATCH'}`,
        ),
        row(
          'last step L+ / L- / g',
          `${o.last.loss_plus.toFixed(5)} / ${o.last.loss_minus.toFixed(5)} / ${o.last.scalar_grad.toPrecision(4)}`,
          '',
          (t) =>
            `${t.step.last.loss_plus.toFixed(5)} / ${t.step.last.loss_minus.toFixed(5)} / ${t.step.last.projected_grad.toPrecision(4)}`,
        ),
        row('weights checksum after steps', o.params_checksum_sum.toFixed(6), '', (t) =>
          t.step.checksum_sum.toFixed(6),
        ),
        row(
          'other CPU load (cores)',
          o.other_cpu_load_cores == null ? 'n/a' : o.other_cpu_load_cores.toFixed(2),
          oc && oc.other_cpu_load_cores != null ? oc.other_cpu_load_cores.toFixed(2) : '',
          (t) => (t.other_cpu_load_cores == null ? 'n/a' : t.other_cpu_load_cores.toFixed(2)),
        ),
      ].filter((r) => r.slice(1).some((c) => String(c ?? '') !== '')), // drop rows with no figures
    ),
  );
  for (const t of out.torch) {
    if (t.error) {
      lines.push(`torch (${t.label}): not measured: ${t.error}`);
      continue;
    }
    const b = t.blas;
    lines.push(
      `torch (${t.label}) BLAS check: ${b.kind}; 1024^3 matmul ${fmtMs(b.matmul_1024_median_s)} = ${b.matmul_1024_gflops.toFixed(1)} GFLOP/s; ` +
        `torch build BLAS_INFO=${b.torch_build.blas_info ?? '?'}; loaded: ${b.loaded_libraries.join(', ') || 'none'}` +
        (b.openblas
          ? `; openblas: ${b.openblas.config ?? b.openblas.error} core ${b.openblas.corename ?? '?'}, ${b.openblas.threads ?? '?'} threads`
          : '') +
        `; LD_LIBRARY_PATH=${b.env.LD_LIBRARY_PATH ?? '(unset)'}, OPENBLAS_CORETYPE=${b.env.OPENBLAS_CORETYPE ?? '(unset)'}, OPENBLAS_NUM_THREADS=${b.env.OPENBLAS_NUM_THREADS ?? '(unset)'}`,
    );
  }
  lines.push(
    'note: the seeds differ between the sides (Philox keys vs torch.manual_seed), so L+/L-, g and checksums are not comparable across columns; the unperturbed loss is.',
  );

  // where our time goes
  const wh = o.weight_handling;
  // From the interleaved pairs (see weightHandling), so that the difference is paired.
  const fwdU = wh.unperturbed.wall_s;
  const fwdP = wh.perturbed.wall_s;
  const dP = wh.pair_difference_s;
  const pr = o.profile;
  lines.push('');
  lines.push(`where our step goes (wasm, medians):`);
  lines.push(
    table([
      ['  part', 'time', 'share', 'how measured'],
      ['  ZO step', fmtMs(o.step.median_s), '100%', `${o.step.samples} steps`],
      [
        '  (a) two perturbed forwards',
        fmtMs(o.forwards_2.median_s),
        fmtPct(o.forwards_2.median_s, o.step.median_s),
        'timed around each lossAt call inside the step',
      ],
      [
        '  (b) update replay + step overhead',
        fmtMs(o.update_and_rest.median_s),
        fmtPct(o.update_and_rest.median_s, o.step.median_s),
        'step minus (a)',
      ],
      [
        '      one update pass alone',
        fmtMs(o.update_pass.median_s),
        fmtPct(o.update_pass.median_s, o.step.median_s),
        `${engine.implementation} axpy over all ${fmtInt(facts.total)} weights (on a copy)`,
      ],
    ]),
  );
  lines.push('  (c) inside one forward:');
  const outside = pr.wall_s - pr.kernels_total_s;
  const otherK = pr.kernels_total_s - pr.matmul.linear_s - pr.matmul.attention_s;
  lines.push(
    table([
      ['    part', 'time', 'share', 'how measured'],
      [
        '    perturbed forward + loss',
        fmtMs(fwdP),
        '100%',
        `model.loss(batch, {key, scale: eps}), ${wh.instrumented_pairs} runs interleaved with the next row`,
      ],
      ['    unperturbed forward + loss', fmtMs(fwdU), fmtPct(fwdU, fwdP), 'model.loss(batch)'],
      [
        '    difference = perturbation handling',
        fmtMs(dP),
        fmtPct(dP, fwdP),
        'median over the pairs of perturbed minus unperturbed',
      ],
      [
        '      engine.perturbInto, w + eps z',
        fmtMs(wh.perturbed.perturb_into_s),
        fmtPct(wh.perturbed.perturb_into_s, fwdP),
        `timed inside the perturbed forwards (${wh.perturbed.perturb_into_calls} calls each: each weight into its tensor's wasm memory, each embedding row into a host array)`,
      ],
      [
        '      rest of the difference',
        fmtMs(dP - wh.perturbed.perturb_into_s),
        fmtPct(dP - wh.perturbed.perturb_into_s, fwdP),
        'not attributed: difference minus the row above, less the unperturbed uploads it saves',
      ],
      [
        '    uploads (tf.tensor, tf.tensor2d), perturbed / not',
        `${fmtMs(wh.perturbed.tensor_s)} / ${fmtMs(wh.unperturbed.tensor_s)}`,
        fmtPct(wh.perturbed.tensor_s, fwdP),
        'timed inside the same forwards: perturbed, the embedding rows + a few small inputs; not, every weight too',
      ],
      [
        '    profiled unperturbed forward + loss',
        fmtMs(pr.wall_s),
        '100%',
        `tf.profile, median of ${pr.profiled_runs} runs, ${pr.kernel_calls} kernel calls`,
      ],
      [
        '      kernels (compute)',
        fmtMs(pr.kernels_total_s),
        fmtPct(pr.kernels_total_s, pr.wall_s),
        'sum of the kernel times',
      ],
      [
        '        matMul, linear layers + head',
        fmtMs(pr.matmul.linear_s),
        fmtPct(pr.matmul.linear_s, pr.wall_s),
        fmtGf(pr.matmul.linear_flops, pr.matmul.linear_s),
      ],
      [
        '        matMul, attention (per head)',
        fmtMs(pr.matmul.attention_s),
        fmtPct(pr.matmul.attention_s, pr.wall_s),
        fmtGf(pr.matmul.attention_flops, pr.matmul.attention_s),
      ],
      [
        '        other kernels',
        fmtMs(otherK),
        fmtPct(otherK, pr.wall_s),
        pr.kernels
          .filter((k) => !/MatMul/.test(k.name))
          .slice(0, 5)
          .map((k) => `${k.name} ${fmtMs(k.s)}`)
          .join(', '),
      ],
      [
        '      outside kernels',
        fmtMs(outside),
        fmtPct(outside, pr.wall_s),
        'wall minus kernels: uploads, op dispatch, host-side work, downloads, GC',
      ],
    ]),
  );

  // memory
  const mem = out.memory;
  lines.push('');
  if (mem.error) {
    lines.push(`peak memory: not measured: ${mem.error}`);
  } else {
    lines.push(
      `peak memory (child process \`--memory\`): ${mem.shape}; ${fmtInt(mem.parameters)} parameters, fp32 ${fmtMiB(mem.fp32_bytes)}`,
    );
    lines.push(
      `  peak RSS (${mem.peak_source}): after backend init ${fmtMiB(mem.max_rss_after_init_bytes)}, after building ${fmtMiB(mem.max_rss_after_build_bytes)}, ` +
        `after ${mem.steps} ZO steps at seq ${mem.seq} ${fmtMiB(mem.peak_rss_bytes)} = ${(mem.peak_rss_bytes / mem.fp32_bytes).toFixed(2)}x fp32 ` +
        `(wasm heap ${mem.wasm_heap_bytes == null ? 'n/a' : fmtMiB(mem.wasm_heap_bytes)}); target ${mem.target_formula} = ${fmtMiB(mem.target_bytes)}`,
    );
    lines.push(
      `  (process.resourceUsage().maxRSS says ${fmtMiB(mem.resource_usage_max_rss_bytes)}: on Linux a spawned child's maxRSS starts at the parent's RSS at fork, ` +
        `so the child is spawned first, while this process is small, and VmHWM is used)`,
    );
    lines.push(
      `  its steps: ${mem.step_s.map((s) => fmtS(s)).join(', ')} (the first includes warm-up); build ${fmtS(mem.build_s)}`,
    );
  }

  // ratios
  const ratios = [];
  const ratio = (name, value, valueBest, target, definition, caveats) =>
    ratios.push({
      name,
      value,
      value_best_of: valueBest,
      target,
      pass: value == null ? null : value <= target,
      definition,
      caveats,
    });
  ratio(
    'our step / fastest torch step',
    fastest ? o.step.median_s / fastest.step.median_s : null,
    fastest ? o.step.min_s / fastest.step.min_s : null,
    TARGET_STEP_RATIO,
    `median time of our full ZO step (wasm) / median time of the official torch step with ${fastest ? fastest.blas.kind : 'the faster BLAS'}`,
    [...(fastest ? [] : ['torch not measured']), ...(tOpen ? [] : fastest ? ['OpenBLAS not measured'] : [])],
  );
  ratio(
    'our step / torch step, reference BLAS',
    tRef ? o.step.median_s / tRef.step.median_s : null,
    tRef ? o.step.min_s / tRef.step.min_s : null,
    TARGET_STEP_RATIO,
    'the same against torch linked to the reference BLAS (Debian libblas3)',
    tRef ? [] : ['not measured'],
  );
  ratio(
    'peak RSS / memory target',
    mem.error ? null : mem.ratio,
    null,
    1,
    mem.error
      ? 'not measured'
      : `peak RSS of the --memory child (${fmtInt(mem.parameters)} params) / (${mem.target_formula})`,
    mem.error ? ['not measured'] : [],
  );
  out.ratios = ratios;
  lines.push('');
  lines.push('ratios (lower is better; PASS/FAIL on medians, best-of-runs ratio shown for reference):');
  lines.push(
    table(
      ratios.map((r) => [
        `  ${r.name}`,
        fmtRatio(r.value),
        `target <= ${r.target}x`,
        r.pass == null ? 'N/A' : r.pass ? 'PASS' : 'FAIL',
        r.value_best_of == null ? '' : `(best-of runs: ${fmtRatio(r.value_best_of)})`,
        r.caveats.length ? `[${r.caveats.join('; ')}]` : '',
      ]),
    ),
  );
  for (const r of ratios) lines.push(`  - ${r.name}: ${r.definition}`);
  for (const t of tOk) {
    if (!t.loss.agree)
      out.notes.push(
        `torch (${t.label}) loss ${t.loss.torch} disagrees with ours ${tsLoss} (rel ${t.loss.rel_diff.toExponential(2)} > 1e-4)`,
      );
  }
  for (const n of out.notes) lines.push(`note: ${n}`);
  out.wall_s = secondsSince(t0);
  const load = otherLoad(cpuStart);
  out.other_cpu_load_cores = load;
  if (load != null) {
    lines.push(
      `other CPU load during the bench: ${load.toFixed(2)} cores of ${machine.logical_cpus}` +
        (load > 0.2 ? '  <-- the machine was busy: timings are noisy, re-run on an idle machine' : ''),
    );
  }
  lines.push(`bench wall time: ${out.wall_s.toFixed(1)} s`);
  console.log(lines.join('\n'));

  if (opts.json) {
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(opts.json, JSON.stringify(out, null, 2) + '\n');
    log(`wrote ${opts.json}`);
  }
}

(opts.memory ? memoryMode() : main()).catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
