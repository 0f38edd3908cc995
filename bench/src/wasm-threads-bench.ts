/**
 * How many wasm threads a ZO step should use, by model size: one full step (two perturbed forwards and the
 * update, `zoStepPerturbed` on a `CausalLM` in host placement, tfjs-wasm) timed with one XNNPACK thread and with
 * one per core (at most 8), side by side, for a ladder of LLaMA models from 0.2M to 35M parameters. Optionally
 * again while another process spins on one core (`--contend`), the case where a threaded pool waits for a
 * descheduled thread. The thread count is fixed when the backend starts, so every (model, threads) cell runs
 * in its own child process (wasm-threads/cell.ts); the cells are interleaved over the repeats so that a burst of
 * other load falls on both columns alike. See bench/README.md.
 *
 *   npx tsc -b && node bench/wasm-threads-bench.cjs [--quick] [--contend] [--repeats N] [--threads N] [--json out.json]
 *                                                    [--models xs,demo,s,m,l,xl] [--steps N]
 *   node bench/wasm-threads-bench.cjs --child MODEL:THREADS:STEPS     (one cell; the main run spawns it)
 */
import os from 'node:os';

import { OptionProblems, readOptions } from './lib/args';
import { otherLoad, readCpuTicks } from './lib/cpu-load';
import { writeJsonReport } from './lib/json-report';
import { progressLog } from './lib/progress-log';
import { runMain } from './lib/run-main';
import { max, median, min } from './lib/statistics';
import { fmtRatio, table } from './lib/text-table';
import { nowNs, secondsSince } from './lib/timing';
import { BATCH_TOKENS, MODELS, runCell, spawnCell } from './wasm-threads/cell';

const USAGE =
  'usage: node bench/wasm-threads-bench.cjs [--quick] [--contend] [--repeats N] [--threads N] [--json out.json]\n' +
  '                                         [--models xs,demo,s,m,l,xl] [--steps N]';

function options() {
  const values = readOptions(
    {
      quick: { type: 'boolean', default: false },
      contend: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '3' },
      threads: { type: 'string' },
      json: { type: 'string' },
      models: { type: 'string' },
      steps: { type: 'string' },
      child: { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const models = values.models?.split(',');
  for (const n of models ?? []) if (!MODELS[n]) p.add(`unknown model ${n}: use ${Object.keys(MODELS).join(', ')}`);
  const child = values.child?.split(':');
  const o = {
    quick: values.quick!,
    contend: values.contend!,
    repeats: p.integer('repeats', values.repeats, 1)!,
    threads: p.integer('threads', values.threads, 2),
    json: values.json,
    models,
    steps: p.integer('steps', values.steps, 1),
    child: child ? { model: child[0], threads: child[1], steps: Number(child[2]) } : undefined,
  };
  p.finish();
  return o;
}

type Options = ReturnType<typeof options>;
const log = progressLog('wasm-threads-bench');

interface Cell {
  numParameters: number;
  /** Median step per repeat (s). */
  medians: number[];
  /** Fastest step per repeat (s). */
  bests: number[];
}

function main(opts: Options): void {
  const cores = os.cpus().length;
  const many = Math.min(8, opts.threads ?? cores);
  const names = opts.models ?? (opts.quick ? ['xs', 'demo', 'm'] : Object.keys(MODELS));
  const steps = opts.steps ?? (opts.quick ? 4 : 8);
  const modes = opts.contend ? [false, true] : [false];
  const cells = new Map<string, Cell>();
  const key = (contend: boolean, name: string, threads: number) =>
    `${contend ? 'contended' : 'plain'}/${name}/${threads}`;
  const loads: number[] = [];
  const load0 = readCpuTicks();
  const t0 = nowNs();
  for (let rep = 0; rep < opts.repeats; rep++) {
    for (const contend of modes) {
      for (const name of names) {
        // Alternate which thread count goes first, so a trend in the background load favours neither.
        for (const threads of rep % 2 === 0 ? [1, many] : [many, 1]) {
          const r = spawnCell(__filename, name, threads, steps, contend);
          if (r.threads !== threads) log(`warning: ${name} asked for ${threads} threads, ran ${r.threads}`);
          const k = key(contend, name, threads);
          if (!cells.has(k)) cells.set(k, { numParameters: r.numParameters, medians: [], bests: [] });
          cells.get(k)!.medians.push(median(r.samples));
          cells.get(k)!.bests.push(min(r.samples));
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
    batch: BATCH_TOKENS,
    repeats: opts.repeats,
    stepsPerCell: steps,
    threads: many,
    otherLoadCores: otherLoad(load0),
    otherLoadPerCellCores: loads.length ? { min: min(loads), median: median(loads), max: max(loads) } : null,
    wallSeconds: secondsSince(t0),
    rows: modes.flatMap((contend) =>
      names.map((name) => {
        const one = cells.get(key(contend, name, 1))!;
        const n = cells.get(key(contend, name, many))!;
        return {
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
          oneThreadBestMs: min(one.bests) * 1e3,
          manyThreadsBestMs: min(n.bests) * 1e3,
          bestSpeedup: min(one.bests) / min(n.bests),
        };
      }),
    ),
  };
  const fmtMs = (x: number) => `${x.toFixed(1)} ms`;
  const header = [
    'mode',
    'model',
    'parameters',
    '1 thread',
    `${many} threads`,
    `speedup of ${many}`,
    'best step (1 | many)',
    'best-step speedup',
    'per-repeat medians (1 | many)',
  ];
  const rows = out.rows.map((r) => [
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
  console.log('wasm threads per ZO step, by model size');
  console.log(`machine: ${out.machine}; niceness ${out.niceness}`);
  console.log(
    `step: zoStepPerturbed on CausalLM (host weights, tfjs-wasm), batch ${out.batch}; median of ${steps} steps after 2 warm-ups per cell, median of ${opts.repeats} cells (own process each, interleaved); best step: the fastest single step of all cells (the least disturbed by other load)`,
  );
  console.log(table([header, ...rows]));
  const l = out.otherLoadPerCellCores;
  console.log(
    `other CPU load: ${out.otherLoadCores?.toFixed(2) ?? 'n/a'} cores of ${cores} over the run` +
      (l
        ? `; per uncontended cell min ${l.min.toFixed(2)}, median ${l.median.toFixed(2)}, max ${l.max.toFixed(2)}`
        : ''),
  );
  console.log(`bench wall time: ${out.wallSeconds.toFixed(1)} s`);
  if (opts.json) writeJsonReport(opts.json, out);
}

runMain(() => {
  const opts = options();
  return opts.child ? runCell(opts.child.model, opts.child.steps) : main(opts);
});
