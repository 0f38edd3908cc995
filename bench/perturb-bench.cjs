#!/usr/bin/env node
/*
 * Perturbation-engine benchmark for @fedkseed/zo, side by side with memcpy and the official FedKSeed
 * PyTorch ops (bench/reference/torch_perturb.py). See bench/README.md.
 *
 *   npx tsc -b && node bench/perturb-bench.cjs [--quick] [--json out.json] [--no-torch]
 *                                               [--python /usr/bin/python3] [--repeats N] [--torch-measure-seeds N]
 *
 * Loads the compiled package (packages/zo/dist), never the TypeScript sources.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { otherLoad, readCpuTicks } = require('./lib/cpu-load.cjs');
const { fmtRatio, fmtS, table } = require('./lib/text-table.cjs');

const ROOT = path.resolve(__dirname, '..');
const TORCH_SCRIPT = path.join(__dirname, 'reference', 'torch_perturb.py');
const M = 1024 * 1024;

// ---------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    quick: false,
    json: null,
    torch: true,
    python: process.env.FEDKSEED_PYTHON || '/usr/bin/python3',
    repeats: 5,
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
    else if (a === '--python') o.python = value();
    else if (a === '--repeats') o.repeats = Math.max(1, parseInt(value(), 10));
    else if (a === '--torch-measure-seeds') o.torchMeasureSeeds = Math.max(1, parseInt(value(), 10));
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node bench/perturb-bench.cjs [--quick] [--json out.json] [--no-torch] [--python PATH] [--repeats N] [--torch-measure-seeds N]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));

const SIZES = opts.quick
  ? {
      copy: 1 * M,
      axpy: 1 * M,
      refAxpy: 256 * 1024,
      replayN: 64 * 1024,
      replaySmallK: 16,
      replayBigK: 256,
      torchMeasureSeeds: 64,
    }
  : {
      copy: 16 * M,
      axpy: 16 * M,
      refAxpy: 1 * M,
      replayN: 1 * M,
      replaySmallK: 64,
      replayBigK: 4096,
      torchMeasureSeeds: 1024,
    };
if (opts.torchMeasureSeeds) SIZES.torchMeasureSeeds = opts.torchMeasureSeeds;
/** Above this estimated time for one fast-engine replay of replayBigK seeds, time a subset of seeds instead. */
const MAX_FULL_REPLAY_S = 30;

// ---------------------------------------------------------------------------------------------- engines

function loadZo() {
  let zo;
  try {
    zo = require('@fedkseed/zo');
  } catch {
    console.error('@fedkseed/zo is not built: build first with `npm run build` at the repo root.');
    process.exit(2);
  }
  const { seedKey, createPerturbEngine } = zo;
  const notes = [];
  let fallbackMessage = null;
  const reference = createPerturbEngine('reference');
  const fast = createPerturbEngine('fast', { onFallback: (m) => (fallbackMessage = m) });
  if (fast.implementation !== 'native') {
    notes.push(
      `the "fast" engine fell back to implementation '${fast.implementation}'` +
        (fallbackMessage ? ` (${fallbackMessage})` : '') +
        ': the fast column measures the reference engine, not the native addon.',
    );
  }
  return { seedKey, reference, fast, notes, loadedFrom: path.relative(ROOT, require.resolve('@fedkseed/zo')) };
}

// ---------------------------------------------------------------------------------------------- timing

const now = () => process.hrtime.bigint();
const secondsSince = (t0) => Number(now() - t0) / 1e9;

/**
 * Median of `repeats` timed calls after `warmup` untimed ones; setup() runs untimed before every call.
 * Stops early (keeping at least minSamples samples) once the timed calls have used up budgetS seconds.
 */
function measure(fn, { setup = () => {}, warmup = 1, repeats = opts.repeats, budgetS = 30, minSamples = 3 } = {}) {
  for (let i = 0; i < warmup; i++) {
    setup();
    fn();
  }
  const samples = [];
  let spent = 0;
  for (let i = 0; i < repeats; i++) {
    setup();
    const t0 = now();
    fn();
    const s = secondsSince(t0);
    samples.push(s);
    spent += s;
    if (samples.length >= Math.min(minSamples, repeats) && spent > budgetS) break;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median_s: median, min_s: sorted[0], max_s: sorted[sorted.length - 1], samples: samples.length };
}

/** Deterministic weights ~ small uniform values (no denormals), the same on every run. */
function makeWeights(n, salt) {
  const w = new Float32Array(n);
  let x = (0x9e3779b9 ^ salt) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    w[i] = (x / 4294967296 - 0.5) * 0.04;
  }
  return w;
}

/** Uses every element of the result, so nothing measured can be skipped. */
function checksum(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function bitwiseEqual(a, b) {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/** Mean and std of (w - w0) / scale over the first n elements: must look like N(0, 1). */
function directionStats(w, w0, scale, n) {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = (w[i] - w0[i]) / scale;
    s += z;
    s2 += z * z;
  }
  const mean = s / n;
  return { z_mean: mean, z_std: Math.sqrt(s2 / n - mean * mean) };
}

/** Best-of-runs rate and total time (from min_s), next to the medians used for PASS/FAIL. */
const bestRate = (r) => r.elements / r.min_s;
const bestTotal = (r) => (r.min_s / r.measured_seeds) * r.seeds;

const log = (msg) => process.stderr.write(`[perturb-bench] ${msg}\n`);

// ---------------------------------------------------------------------------------------------- benchmarks

function benchMemcpy(n) {
  const src = makeWeights(n, 1);
  const dst = new Float32Array(n);
  const r = measure(() => dst.set(src));
  r.elements = n;
  r.bytes_copied = n * 4;
  r.elements_per_s = n / r.median_s;
  r.gb_per_s = (n * 4) / r.median_s / 1e9;
  r.checksum_sum = checksum(dst);
  return r;
}

const AXPY_SCALE = 5e-4; // zo_eps of the official code: w += eps * z

function benchAxpy(engine, n, key, w0) {
  const w = new Float32Array(n);
  const r = measure(() => engine.axpy(w, key, 0, AXPY_SCALE), {
    setup: () => w.set(w0.subarray(0, n)),
    budgetS: 20,
  });
  r.implementation = engine.implementation;
  r.elements = n;
  r.elements_per_s = n / r.median_s;
  r.checksum_sum = checksum(w);
  Object.assign(r, directionStats(w, w0, AXPY_SCALE, Math.min(n, 1 * M)));
  return { result: r, w };
}

function benchReplay(engine, n, keys, scales, w0, budgetS = 30, minSamples = 3) {
  const w = new Float32Array(n);
  const r = measure(() => engine.replay(w, keys, scales, 0), {
    setup: () => w.set(w0),
    repeats: Math.min(opts.repeats, 3),
    budgetS,
    minSamples,
  });
  r.implementation = engine.implementation;
  r.elements = n;
  r.seeds = keys.length;
  r.measured_seeds = keys.length;
  r.extrapolated = false;
  r.total_s = r.median_s;
  r.per_seed_s = r.median_s / keys.length;
  r.seed_elements_per_s = (n * keys.length) / r.median_s;
  r.checksum_sum = checksum(w);
  return { result: r, w };
}

function extrapolate(from, k, why) {
  return {
    implementation: from.implementation,
    elements: from.elements,
    seeds: k,
    measured_seeds: from.measured_seeds,
    extrapolated: true,
    // timings of the measured run (measured_seeds seeds), from which total_s is scaled
    median_s: from.median_s,
    min_s: from.min_s,
    samples: from.samples,
    per_seed_s: from.per_seed_s,
    total_s: from.per_seed_s * k,
    seed_elements_per_s: from.seed_elements_per_s,
    note: `extrapolated linearly from the ${from.measured_seeds}-seed replay (${why})`,
  };
}

function runTorch() {
  if (!opts.torch) return { skipped: true, error: 'skipped (--no-torch)' };
  const args = [
    TORCH_SCRIPT,
    '--perturb-elements',
    String(SIZES.axpy),
    '--replay-elements',
    String(SIZES.replayN),
    '--replay-seeds',
    `${SIZES.replaySmallK},${SIZES.replayBigK}`,
    '--replay-measure-seeds',
    String(SIZES.torchMeasureSeeds),
    '--threads',
    '2',
    '--repeats',
    String(opts.repeats),
  ];
  log(`spawning ${opts.python} ${path.relative(ROOT, TORCH_SCRIPT)} ${args.slice(1).join(' ')}`);
  const p = spawnSync(opts.python, args, { encoding: 'utf8', maxBuffer: 16 * M, stdio: ['ignore', 'pipe', 'inherit'] });
  if (p.error) return { error: `could not run ${opts.python}: ${p.error.message}` };
  let parsed = null;
  try {
    parsed = JSON.parse(p.stdout);
  } catch {
    /* reported below */
  }
  if (p.status !== 0 || !parsed || parsed.error) {
    return { error: (parsed && parsed.error) || `exit status ${p.status}; stdout: ${p.stdout.slice(0, 500)}` };
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------- report

const fmtRate = (r) => (r >= 1e9 ? `${(r / 1e9).toFixed(3)} Gelem/s` : `${(r / 1e6).toFixed(1)} Melem/s`);
const fmtN = (n) => (n >= M && n % M === 0 ? `${n / M}Mi` : n >= 1024 && n % 1024 === 0 ? `${n / 1024}Ki` : String(n));

function main() {
  const t0 = now();
  const cpuStart = readCpuTicks();
  const zo = loadZo();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus.length ? cpus[0].model : 'unknown',
    logical_cpus: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
  const keysAll = [];
  for (let i = 0; i < SIZES.replayBigK; i++) keysAll.push(zo.seedKey(0x5eedn, i));
  const lr = 1e-3;
  const scalesAll = new Float64Array(SIZES.replayBigK);
  for (let i = 0; i < scalesAll.length; i++) scalesAll[i] = -lr * (((i * 7919) % 2001) / 1000 - 1 || 0.5); // -lr * grad, grad != 0
  const key = keysAll[0];

  const out = { machine, quick: opts.quick, sizes: SIZES, engines: {}, notes: [...zo.notes], results: {} };
  out.engines = {
    reference: zo.reference.implementation,
    fast: zo.fast.implementation,
    fast_fell_back: zo.fast.implementation !== 'native',
    loaded_from: zo.loadedFrom,
  };

  log(`memcpy (Float32Array.prototype.set) on ${fmtN(SIZES.copy)} floats`);
  out.results.memcpy = benchMemcpy(SIZES.copy);

  const wAxpy0 = makeWeights(SIZES.axpy, 2);
  log(`axpy reference on ${fmtN(SIZES.refAxpy)} floats`);
  const refAxpy = benchAxpy(zo.reference, SIZES.refAxpy, key, wAxpy0);
  log(`axpy fast (${zo.fast.implementation}) on ${fmtN(SIZES.axpy)} floats`);
  const fastAxpy = benchAxpy(zo.fast, SIZES.axpy, key, wAxpy0);
  out.results.axpy = { reference: refAxpy.result, fast: fastAxpy.result };
  if (SIZES.refAxpy < SIZES.axpy) {
    out.results.axpy.reference.note = `reference axpy timed on ${fmtN(SIZES.refAxpy)} floats, not ${fmtN(SIZES.axpy)} (too slow); elements/s is size-independent at this size`;
  }
  out.results.axpy.fast_equals_reference_bitwise = bitwiseEqual(fastAxpy.w.subarray(0, SIZES.refAxpy), refAxpy.w);

  const k1 = SIZES.replaySmallK;
  const kBig = SIZES.replayBigK;
  const wRep0 = makeWeights(SIZES.replayN, 3);
  const keysSmall = keysAll.slice(0, k1);
  const scalesSmall = scalesAll.subarray(0, k1);
  log(`replay reference: ${k1} seeds over ${fmtN(SIZES.replayN)} floats`);
  const refRep = benchReplay(zo.reference, SIZES.replayN, keysSmall, scalesSmall, wRep0, 20);
  log(`replay fast (${zo.fast.implementation}): ${k1} seeds over ${fmtN(SIZES.replayN)} floats`);
  const fastRep = benchReplay(zo.fast, SIZES.replayN, keysSmall, scalesSmall, wRep0, 20);
  out.results.replay_small = {
    seeds: k1,
    elements: SIZES.replayN,
    reference: refRep.result,
    fast: fastRep.result,
    fast_equals_reference_bitwise: bitwiseEqual(fastRep.w, refRep.w),
  };

  const refBig = extrapolate(refRep.result, kBig, 'the reference engine is too slow to run every seed');
  let fastBig;
  const estimate = fastRep.result.per_seed_s * kBig;
  if (zo.fast.implementation !== 'native') {
    fastBig = extrapolate(fastRep.result, kBig, `fast fell back to '${zo.fast.implementation}'`);
  } else if (estimate > MAX_FULL_REPLAY_S) {
    fastBig = extrapolate(fastRep.result, kBig, `one full run would take ~${estimate.toFixed(0)} s`);
  } else {
    log(
      `replay fast (${zo.fast.implementation}): ${kBig} seeds over ${fmtN(SIZES.replayN)} floats (~${fmtS(estimate)} per run)`,
    );
    fastBig = benchReplay(zo.fast, SIZES.replayN, keysAll, scalesAll, wRep0, 30, 2).result;
  }
  out.results.replay_big = { seeds: kBig, elements: SIZES.replayN, reference: refBig, fast: fastBig };

  const torch = runTorch();
  out.torch = torch;

  // ------------------------------------------------------------------------------------------ print
  const mc = out.results.memcpy;
  const ax = out.results.axpy;
  const rs = out.results.replay_small;
  const rb = out.results.replay_big;
  const tOk = !torch.error;
  const tRep = (k) => (tOk ? torch.replay.find((r) => r.seeds === k) : null);
  const tRs = tRep(k1);
  const tRb = tRep(kBig);
  const ext = (r) => (r.extrapolated ? ` (extrapolated from ${r.measured_seeds} seeds)` : '');

  const lines = [];
  lines.push(`FedKSeed perturbation benchmark${opts.quick ? ' (--quick: smaller sizes)' : ''}`);
  lines.push(`machine: ${machine.cpu} x ${machine.logical_cpus} logical CPUs; ${machine.os}; node ${machine.node}`);
  lines.push(
    `engines: reference = '${out.engines.reference}', fast = '${out.engines.fast}'${out.engines.fast_fell_back ? '  <-- FAST FELL BACK: the fast column is NOT the native addon' : ''}`,
  );
  lines.push(
    `torch: ${tOk ? `${torch.torch_version} (python ${torch.python}, ${torch.threads} threads, float32 CPU)` : `not measured: ${torch.error}`}`,
  );
  lines.push(
    `timing: median of up to ${opts.repeats} runs after 1 warm-up (replays: up to 3 runs); results checksummed`,
  );
  lines.push('');
  lines.push(
    table([
      ['benchmark', 'size', 'reference', `fast (${out.engines.fast})`, 'torch (official ops)'],
      [
        'memcpy Float32Array.set',
        `${fmtN(mc.elements)} f32`,
        `${fmtS(mc.median_s)}  ${fmtRate(mc.elements_per_s)} ${mc.gb_per_s.toFixed(2)} GB/s copied`,
        '',
        '',
      ],
      [
        'axpy / perturb line',
        `${fmtN(SIZES.axpy)} f32`,
        `${fmtS(ax.reference.median_s)} on ${fmtN(ax.reference.elements)}  ${fmtRate(ax.reference.elements_per_s)}`,
        `${fmtS(ax.fast.median_s)}  ${fmtRate(ax.fast.elements_per_s)}`,
        tOk ? `${fmtS(torch.perturb.median_s)}  ${fmtRate(torch.perturb.elements_per_s)}` : 'n/a',
      ],
      [
        `replay ${k1} seeds`,
        `${k1} x ${fmtN(SIZES.replayN)}`,
        `${fmtS(rs.reference.total_s)}  ${fmtS(rs.reference.per_seed_s)}/seed`,
        `${fmtS(rs.fast.total_s)}  ${fmtS(rs.fast.per_seed_s)}/seed`,
        tRs ? `${fmtS(tRs.total_s)}  ${fmtS(tRs.per_seed_s)}/seed${ext(tRs)}` : 'n/a',
      ],
      [
        `replay ${kBig} seeds`,
        `${kBig} x ${fmtN(SIZES.replayN)}`,
        `${fmtS(rb.reference.total_s)}  ${fmtS(rb.reference.per_seed_s)}/seed (extrapolated from ${k1} seeds)`,
        `${fmtS(rb.fast.total_s)}  ${fmtS(rb.fast.per_seed_s)}/seed${ext(rb.fast)}`,
        tRb ? `${fmtS(tRb.total_s)}  ${fmtS(tRb.per_seed_s)}/seed${ext(tRb)}` : 'n/a',
      ],
    ]),
  );
  lines.push('');
  lines.push(
    `checks: axpy fast == reference bitwise (first ${fmtN(SIZES.refAxpy)}): ${ax.fast_equals_reference_bitwise}; ` +
      `replay ${k1} fast == reference bitwise: ${rs.fast_equals_reference_bitwise}; ` +
      `axpy direction z mean/std: ${ax.fast.z_mean.toFixed(4)}/${ax.fast.z_std.toFixed(4)}` +
      (tOk ? `; torch z mean/std: ${torch.perturb.z_mean.toFixed(4)}/${torch.perturb.z_std.toFixed(4)}` : ''),
  );
  if (tOk) {
    lines.push(
      `torch perturb call breakdown (${fmtN(SIZES.axpy)}): torch.normal ${fmtS(torch.perturb.breakdown.torch_normal_median_s)}, ` +
        `update line alone ${fmtS(torch.perturb.breakdown.update_line_median_s)} (rest: manual_seed, allocation, first-touch)`,
    );
  } else {
    lines.push('');
    lines.push(
      'The PyTorch reference is not installed, so the torch column and its ratios are missing. Install it with:',
    );
    lines.push('  apt-get update && apt-get install -y python3-torch      # Debian 12: torch 1.13, /usr/bin/python3');
    lines.push('or point --python (or FEDKSEED_PYTHON) at a python that has torch and numpy.');
  }

  // ------------------------------------------------------------------------------------------ ratios
  const ratios = [];
  const ratio = (name, [value, valueBest], target, definition, caveats) => {
    const r = {
      name,
      value,
      value_best_of: valueBest,
      target,
      pass: value == null ? null : value >= target,
      definition,
      caveats,
    };
    ratios.push(r);
    return r;
  };
  const fbCaveat = out.engines.fast_fell_back ? ['fast fell back to the reference engine'] : [];
  ratio(
    'fast axpy vs memcpy',
    [ax.fast.elements_per_s / mc.elements_per_s, bestRate(ax.fast) / bestRate(mc)],
    0.5,
    `elements/s of fast axpy (w[j] += s*z[j], ${fmtN(SIZES.axpy)}) / elements/s of Float32Array.set (${fmtN(SIZES.copy)}); ` +
      'both read and write each float32 element once',
    [...fbCaveat],
  );
  ratio(
    'fast axpy vs torch perturbation line',
    tOk
      ? [ax.fast.elements_per_s / torch.perturb.elements_per_s, bestRate(ax.fast) / bestRate(torch.perturb)]
      : [null, null],
    10,
    `elements/s of fast axpy / elements/s of one official _zo_perturb_parameters call (manual_seed + torch.normal + update line), same ${fmtN(SIZES.axpy)} float32 elements`,
    [...fbCaveat, ...(tOk ? [] : ['torch not measured'])],
  );
  ratio(
    `fast replay ${kBig}x${fmtN(SIZES.replayN)} vs torch replay loop`,
    tRb ? [tRb.total_s / rb.fast.total_s, bestTotal(tRb) / bestTotal(rb.fast)] : [null, null],
    20,
    `time of the official seed-pool loop (zo_update per (seed, grad)) / time of fast replay, ${kBig} seeds over ${fmtN(SIZES.replayN)} float32 elements`,
    [
      ...fbCaveat,
      ...(rb.fast.extrapolated ? [`fast side extrapolated from ${rb.fast.measured_seeds} seeds`] : []),
      ...(tRb && tRb.extrapolated ? [`torch side extrapolated from ${tRb.measured_seeds} seeds`] : []),
      ...(tRb ? [] : ['torch not measured']),
    ],
  );
  out.ratios = ratios;

  lines.push('');
  lines.push('ratios (higher is better for fast; PASS/FAIL on medians, best-of-runs ratio shown for reference):');
  lines.push(
    table(
      ratios.map((r) => [
        `  ${r.name}`,
        r.value == null ? 'n/a' : fmtRatio(r.value),
        `target >= ${r.target}x`,
        r.pass == null ? 'N/A' : r.pass ? 'PASS' : 'FAIL',
        r.value_best_of == null ? '' : `(best-of runs: ${fmtRatio(r.value_best_of)})`,
        r.caveats.length ? `[${r.caveats.join('; ')}]` : '',
      ]),
    ),
  );
  for (const r of ratios) lines.push(`  - ${r.name}: ${r.definition}`);
  for (const note of out.notes) lines.push(`note: ${note}`);
  if (ax.reference.note) lines.push(`note: ${ax.reference.note}`);
  out.wall_s = secondsSince(t0);
  const other = otherLoad(cpuStart);
  if (other !== null) {
    out.other_cpu_load_cores = other;
    lines.push(
      `other CPU load during the bench: ${out.other_cpu_load_cores.toFixed(2)} cores of ${machine.logical_cpus}` +
        (out.other_cpu_load_cores > 0.2
          ? '  <-- the machine was busy: timings are noisy, re-run on an idle machine'
          : ''),
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

main();
