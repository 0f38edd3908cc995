/**
 * End-to-end zeroth-order step benchmark: one full FedKSeed/MeZO step (two perturbed forwards + the update) of
 * @fedkseed/models on TensorFlow.js (wasm), side by side with the official FedKSeed step in PyTorch
 * (bench/reference/torch_zo_step.py) on the same weights, with the reference BLAS and with OpenBLAS; plus where
 * our time goes and the peak memory of a ~50M-parameter model. See bench/README.md.
 *
 *   npx tsc -b && node bench/zo-step-bench.cjs [--quick] [--json out.json] [--no-torch] [--cpu]
 *                                               [--python /usr/bin/python3] [--repeats N] [--keep-model]
 *   node bench/zo-step-bench.cjs --memory [--quick]     (the peak-memory run alone; the main run spawns it)
 */
import fs from 'node:fs';
import path from 'node:path';

import { countParameters, createRandomModel, selectBackend } from '@fedkseed/models';
import { CandidateSeeds, defaultPerturbEngine } from '@fedkseed/zo';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

import { otherLoad, otherLoadLine, readCpuTicks } from './lib/cpu-load';
import { writeJsonReport } from './lib/json-report';
import { describeMachine } from './lib/machine';
import { OUT_DIR, REPO_ROOT } from './lib/paths';
import { progressLog } from './lib/progress-log';
import { ratioLines } from './lib/ratios';
import { runMain } from './lib/run-main';
import { measureAsync, nowNs, secondsSince } from './lib/timing';
import { memoryMode, runMemoryChild } from './zo-step/memory';
import { describeModel, makeBatch, paramChecksum, shapeLine } from './zo-step/model-facts';
import { timeSteps, updatePass } from './zo-step/our-step';
import { EPS, LR, zoStepOptions, zoStepPlan, type ZoStepOptions } from './zo-step/plan';
import { profileForward } from './zo-step/profile';
import { breakdownLines, memoryLines, zoStepRatios } from './zo-step/report-breakdown';
import { headerLines, sideBySideLines } from './zo-step/report-table';
import type { ZoStepRun } from './zo-step/run';
import { tf } from './zo-step/tfjs';
import { torchColumns, torchOk } from './zo-step/torch-step';
import { weightHandling } from './zo-step/weight-handling';

const log = progressLog('zo-step-bench');

async function main(opts: ZoStepOptions): Promise<void> {
  const plan = zoStepPlan(opts);
  const t0 = nowNs();
  const cpuStart = readCpuTicks();
  const engine = defaultPerturbEngine();
  const engineInfo = (engine as { info?: () => { isa: string; threads: number } }).info?.() ?? null;
  const notes: string[] = [];
  if (engine.implementation !== 'native')
    notes.push(
      `the perturbation engine is '${engine.implementation}', not the native addon: build it with \`npm run build:native -w @fedkseed/zo\``,
    );

  // First, while this process is still small (see memory.ts).
  const memory = runMemoryChild(__filename, opts.quick, log);

  // The library's thread choice for this model (FEDKSEED_WASM_THREADS overrides it; the report says which).
  const sel = await selectBackend('wasm', undefined, { numParameters: countParameters(plan.model) });
  const cfg = plan.model;
  log(`building the random model (${shapeLine(cfg)})`);
  const tb = nowNs();
  const model = createRandomModel(cfg, 1n);
  const buildS = secondsSince(tb);
  const facts = describeModel(model, cfg, 1, plan.seq);
  const batch = makeBatch(cfg.vocabSize, plan.seq);

  // The same weights for the reference, written before any step changes them.
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const modelDir = fs.mkdtempSync(path.join(OUT_DIR, 'zo-step-model-'));
  await model.save(modelDir);
  const batchFile = path.join(modelDir, 'batch.json');
  fs.writeFileSync(batchFile, JSON.stringify({ input_ids: batch.inputIds, labels: batch.labels }));

  const oursStart = readCpuTicks();
  const tsLoss = await model.loss(batch);
  log(`ours (wasm): forward, ${plan.forwardRepeats} timed after ${plan.forwardWarmup} warm-up`);
  const forward = await measureAsync(() => model.loss(batch), {
    warmup: plan.forwardWarmup,
    repeats: plan.forwardRepeats,
  });
  const seeds = new CandidateSeeds(0x2b5eedn, 4096);
  const probeKey = seeds.key(4095);
  log('ours (wasm): kernel profile of one forward, weight handling, update pass');
  const profile = await profileForward(model, batch);
  const handling = await weightHandling(model, batch, probeKey, plan.handlingPairs);
  const update = await updatePass(model, probeKey, plan.updateRepeats);
  log(`ours (wasm): ZO step, ${plan.stepRepeats} timed after ${plan.stepWarmup} warm-up`);
  const steps = await timeSteps(model, batch, seeds, 0, plan.stepWarmup, plan.stepRepeats);
  const out: ZoStepRun = {
    machine: describeMachine(),
    quick: opts.quick,
    eps: EPS,
    lr: LR,
    notes,
    engine: { implementation: engine.implementation, info: engineInfo },
    memory,
    tfjs: { version: tf.version_core, backend: sel.backend, wasm_threads: getThreadsCount() },
    model: {
      ...facts,
      config: cfg,
      shape: shapeLine(cfg),
      seq: plan.seq,
      batch: 1,
      build_s: buildS,
      saved_to: path.relative(REPO_ROOT, modelDir),
    },
    ts_loss: tsLoss,
    ours: {
      backend: 'wasm',
      forward,
      forward_gflops: facts.forward_flops / forward.median_s / 1e9,
      ...steps,
      update_pass: update,
      weight_handling: handling,
      profile,
      params_checksum_sum: paramChecksum(model.parameters()),
      other_cpu_load_cores: otherLoad(oursStart),
    },
    torch: [],
  };

  if (opts.cpu) {
    log(`ours (cpu backend): forward and ZO step, ${plan.cpuRepeats} timed after 1 warm-up each (slow)`);
    const cpuStart2 = readCpuTicks();
    await selectBackend('cpu');
    const f = await measureAsync(() => model.loss(batch), { warmup: 1, repeats: plan.cpuRepeats });
    const s = await timeSteps(model, batch, seeds, 100, 1, plan.cpuRepeats);
    out.ours_cpu = {
      backend: 'cpu',
      forward: f,
      forward_gflops: facts.forward_flops / f.median_s / 1e9,
      ...s,
      other_cpu_load_cores: otherLoad(cpuStart2),
    };
    await selectBackend('wasm');
  }

  if (opts.torch) out.torch = torchColumns({ python: opts.python, plan, modelDir, batchFile, tsLoss, log });
  else notes.push('torch skipped (--no-torch)');
  if (!opts.keepModel) fs.rmSync(modelDir, { recursive: true, force: true });

  out.ratios = zoStepRatios(out);
  const lines = [...headerLines(out, plan), '', ...sideBySideLines(out), ...breakdownLines(out), ...memoryLines(out)];
  lines.push('', 'ratios (lower is better; PASS/FAIL on medians, best-of-runs ratio shown for reference):');
  lines.push(...ratioLines(out.ratios, '<='));
  for (const t of out.torch.filter(torchOk))
    if (!t.loss.agree)
      notes.push(
        `torch (${t.label}) loss ${t.loss.torch} disagrees with ours ${tsLoss} (rel ${t.loss.rel_diff.toExponential(2)} > 1e-4)`,
      );
  for (const n of notes) lines.push(`note: ${n}`);
  out.wall_s = secondsSince(t0);
  out.other_cpu_load_cores = otherLoad(cpuStart);
  if (out.other_cpu_load_cores != null) lines.push(otherLoadLine(out.other_cpu_load_cores, out.machine.logical_cpus));
  lines.push(`bench wall time: ${out.wall_s.toFixed(1)} s`);
  console.log(lines.join('\n'));
  if (opts.json) {
    writeJsonReport(opts.json, out);
    log(`wrote ${opts.json}`);
  }
}

runMain(() => {
  const opts = zoStepOptions();
  return opts.memory ? memoryMode(zoStepPlan(opts)) : main(opts);
});
