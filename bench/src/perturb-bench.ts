/**
 * Perturbation-engine benchmark for @fedkseed/zo, side by side with memcpy and the official FedKSeed
 * PyTorch ops (bench/reference/torch_perturb.py). See bench/README.md.
 *
 *   npx tsc -b && node bench/perturb-bench.cjs [--quick] [--json out.json] [--no-torch]
 *                                               [--python /usr/bin/python3] [--repeats N] [--torch-measure-seeds N]
 */
import path from 'node:path';

import { createPerturbEngine, seedKey } from '@fedkseed/zo';

import { OptionProblems, readOptions } from './lib/args';
import { otherLoad, otherLoadLine, readCpuTicks } from './lib/cpu-load';
import { writeJsonReport } from './lib/json-report';
import { describeMachine } from './lib/machine';
import { REPO_ROOT } from './lib/paths';
import { progressLog } from './lib/progress-log';
import { defaultPython } from './lib/python-runner';
import { runMain } from './lib/run-main';
import { fmtS } from './lib/text-table';
import { nowNs, secondsSince } from './lib/timing';
import { fmtN, perturbRatios, perturbTableLines, type PerturbRun, type PerturbSizes } from './perturb/report';
import { runTorchPerturb } from './perturb/torch-perturb';
import {
  M,
  benchAxpy,
  benchMemcpy,
  benchReplay,
  bitwiseEqual,
  extrapolate,
  makeWeights,
  type ReplayResult,
} from './perturb/workloads';

const USAGE =
  'usage: node bench/perturb-bench.cjs [--quick] [--json out.json] [--no-torch] [--python PATH] [--repeats N] [--torch-measure-seeds N]';
/** Above this estimated time for one fast-engine replay of replayBigK seeds, time a subset of seeds instead. */
const MAX_FULL_REPLAY_S = 30;
const log = progressLog('perturb-bench');

function options() {
  const values = readOptions(
    {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      python: { type: 'string', default: defaultPython() },
      repeats: { type: 'string', default: '5' },
      'torch-measure-seeds': { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const o = {
    quick: values.quick!,
    json: values.json,
    torch: !values['no-torch'],
    python: values.python!,
    repeats: p.integer('repeats', values.repeats, 1)!,
    torchMeasureSeeds: p.integer('torch-measure-seeds', values['torch-measure-seeds'], 1),
  };
  p.finish();
  return o;
}

function sizesFor(quick: boolean, torchMeasureSeeds: number | undefined): PerturbSizes {
  const s = quick
    ? {
        copy: M,
        axpy: M,
        refAxpy: 256 * 1024,
        replayN: 64 * 1024,
        replaySmallK: 16,
        replayBigK: 256,
        torchMeasureSeeds: 64,
      }
    : {
        copy: 16 * M,
        axpy: 16 * M,
        refAxpy: M,
        replayN: M,
        replaySmallK: 64,
        replayBigK: 4096,
        torchMeasureSeeds: 1024,
      };
  return torchMeasureSeeds ? { ...s, torchMeasureSeeds } : s;
}

function main(): void {
  const opts = options();
  const S = sizesFor(opts.quick, opts.torchMeasureSeeds);
  const t0 = nowNs();
  const cpuStart = readCpuTicks();
  const notes: string[] = [];
  let fallbackMessage: string | null = null;
  const reference = createPerturbEngine('reference');
  const fast = createPerturbEngine('fast', { onFallback: (m) => (fallbackMessage = m) });
  if (fast.implementation !== 'native')
    notes.push(
      `the "fast" engine fell back to implementation '${fast.implementation}'` +
        (fallbackMessage ? ` (${fallbackMessage})` : '') +
        ': the fast column measures the reference engine, not the native addon.',
    );
  const keysAll = Array.from({ length: S.replayBigK }, (_, i) => seedKey(0x5eedn, i));
  const lr = 1e-3;
  const scalesAll = new Float64Array(S.replayBigK);
  for (let i = 0; i < scalesAll.length; i++) scalesAll[i] = -lr * (((i * 7919) % 2001) / 1000 - 1 || 0.5); // -lr * grad, grad != 0
  const key = keysAll[0];

  log(`memcpy (Float32Array.prototype.set) on ${fmtN(S.copy)} floats`);
  const memcpy = benchMemcpy(S.copy, opts.repeats);
  const wAxpy0 = makeWeights(S.axpy, 2);
  log(`axpy reference on ${fmtN(S.refAxpy)} floats`);
  const refAxpy = benchAxpy(reference, S.refAxpy, key, wAxpy0, opts.repeats);
  log(`axpy fast (${fast.implementation}) on ${fmtN(S.axpy)} floats`);
  const fastAxpy = benchAxpy(fast, S.axpy, key, wAxpy0, opts.repeats);
  if (S.refAxpy < S.axpy)
    refAxpy.result.note = `reference axpy timed on ${fmtN(S.refAxpy)} floats, not ${fmtN(S.axpy)} (too slow); elements/s is size-independent at this size`;

  const k1 = S.replaySmallK;
  const kBig = S.replayBigK;
  const wRep0 = makeWeights(S.replayN, 3);
  const keysSmall = keysAll.slice(0, k1);
  const scalesSmall = scalesAll.subarray(0, k1);
  log(`replay reference: ${k1} seeds over ${fmtN(S.replayN)} floats`);
  const refRep = benchReplay(reference, S.replayN, keysSmall, scalesSmall, wRep0, opts.repeats, 20);
  log(`replay fast (${fast.implementation}): ${k1} seeds over ${fmtN(S.replayN)} floats`);
  const fastRep = benchReplay(fast, S.replayN, keysSmall, scalesSmall, wRep0, opts.repeats, 20);

  const refBig = extrapolate(refRep.result, kBig, 'the reference engine is too slow to run every seed');
  let fastBig: ReplayResult;
  const estimate = fastRep.result.per_seed_s * kBig;
  if (fast.implementation !== 'native') {
    fastBig = extrapolate(fastRep.result, kBig, `fast fell back to '${fast.implementation}'`);
  } else if (estimate > MAX_FULL_REPLAY_S) {
    fastBig = extrapolate(fastRep.result, kBig, `one full run would take ~${estimate.toFixed(0)} s`);
  } else {
    log(
      `replay fast (${fast.implementation}): ${kBig} seeds over ${fmtN(S.replayN)} floats (~${fmtS(estimate)} per run)`,
    );
    fastBig = benchReplay(fast, S.replayN, keysAll, scalesAll, wRep0, opts.repeats, 30, 2).result;
  }

  const out: PerturbRun = {
    machine: describeMachine(),
    quick: opts.quick,
    sizes: S,
    engines: {
      reference: reference.implementation,
      fast: fast.implementation,
      fast_fell_back: fast.implementation !== 'native',
      loaded_from: path.relative(REPO_ROOT, require.resolve('@fedkseed/zo')),
    },
    notes,
    results: {
      memcpy,
      axpy: {
        reference: refAxpy.result,
        fast: fastAxpy.result,
        fast_equals_reference_bitwise: bitwiseEqual(fastAxpy.w.subarray(0, S.refAxpy), refAxpy.w),
      },
      replay_small: {
        seeds: k1,
        elements: S.replayN,
        reference: refRep.result,
        fast: fastRep.result,
        fast_equals_reference_bitwise: bitwiseEqual(fastRep.w, refRep.w),
      },
      replay_big: { seeds: kBig, elements: S.replayN, reference: refBig, fast: fastBig },
    },
    torch: opts.torch ? runTorchPerturb(opts.python, S, opts.repeats, log) : { error: 'skipped (--no-torch)' },
  };
  out.ratios = perturbRatios(out);
  const lines = perturbTableLines(out, opts.repeats);
  for (const note of out.notes) lines.push(`note: ${note}`);
  if (out.results.axpy.reference.note) lines.push(`note: ${out.results.axpy.reference.note}`);
  out.wall_s = secondsSince(t0);
  const other = otherLoad(cpuStart);
  if (other !== null) {
    out.other_cpu_load_cores = other;
    lines.push(otherLoadLine(other, out.machine.logical_cpus));
  }
  lines.push(`bench wall time: ${out.wall_s.toFixed(1)} s`);
  console.log(lines.join('\n'));
  if (opts.json) {
    writeJsonReport(opts.json, out);
    log(`wrote ${opts.json}`);
  }
}

runMain(main);
