/** Where our step goes (the step, the forwards, one forward's weight handling and kernels) and the memory run. */
import { ratio, type Ratio } from '../lib/ratios';
import { fmtInt, fmtMiB, fmtMs, fmtS, table } from '../lib/text-table';
import { TARGET_STEP_RATIO } from './plan';
import { fmtGf, fmtPct } from './report-table';
import type { ZoStepRun } from './run';
import { torchOk } from './torch-step';

export function breakdownLines(out: ZoStepRun): string[] {
  const o = out.ours;
  const wh = o.weight_handling;
  // From the interleaved pairs (see weight-handling.ts), so that the difference is paired.
  const fwdU = wh.unperturbed.wall_s;
  const fwdP = wh.perturbed.wall_s;
  const dP = wh.pair_difference_s;
  const pr = o.profile;
  const lines = ['', 'where our step goes (wasm, medians):'];
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
        `${out.engine.implementation} axpy over all ${fmtInt(out.model.total)} weights (on a copy)`,
      ],
    ]),
  );
  lines.push('  (c) inside one forward:');
  const outside = pr.wall_s - pr.kernels_total_s;
  const otherK = pr.kernels_total_s - pr.matmul.linear_s - pr.matmul.attention_s;
  // prettier-ignore
  lines.push(
    table([
      ['    part', 'time', 'share', 'how measured'],
      ['    perturbed forward + loss', fmtMs(fwdP), '100%',
        `model.loss(batch, {key, scale: eps}), ${wh.instrumented_pairs} runs interleaved with the next row`],
      ['    unperturbed forward + loss', fmtMs(fwdU), fmtPct(fwdU, fwdP), 'model.loss(batch)'],
      ['    difference = perturbation handling', fmtMs(dP), fmtPct(dP, fwdP),
        'median over the pairs of perturbed minus unperturbed'],
      ['      engine.perturbInto, w + eps z', fmtMs(wh.perturbed.perturb_into_s), fmtPct(wh.perturbed.perturb_into_s, fwdP),
        `timed inside the perturbed forwards (${wh.perturbed.perturb_into_calls} calls each: each weight into its tensor's wasm memory, each embedding row into a host array)`],
      ['      rest of the difference', fmtMs(dP - wh.perturbed.perturb_into_s), fmtPct(dP - wh.perturbed.perturb_into_s, fwdP),
        'not attributed: difference minus the row above, less the unperturbed uploads it saves'],
      ['    uploads (tf.tensor, tf.tensor2d), perturbed / not', `${fmtMs(wh.perturbed.tensor_s)} / ${fmtMs(wh.unperturbed.tensor_s)}`,
        fmtPct(wh.perturbed.tensor_s, fwdP),
        'timed inside the same forwards: perturbed, the embedding rows + a few small inputs; not, every weight too'],
      ['    profiled unperturbed forward + loss', fmtMs(pr.wall_s), '100%',
        `tf.profile, median of ${pr.profiled_runs} runs, ${pr.kernel_calls} kernel calls`],
      ['      kernels (compute)', fmtMs(pr.kernels_total_s), fmtPct(pr.kernels_total_s, pr.wall_s), 'sum of the kernel times'],
      ['        matMul, linear layers + head', fmtMs(pr.matmul.linear_s), fmtPct(pr.matmul.linear_s, pr.wall_s),
        fmtGf(pr.matmul.linear_flops, pr.matmul.linear_s)],
      ['        matMul, attention (per head)', fmtMs(pr.matmul.attention_s), fmtPct(pr.matmul.attention_s, pr.wall_s),
        fmtGf(pr.matmul.attention_flops, pr.matmul.attention_s)],
      ['        other kernels', fmtMs(otherK), fmtPct(otherK, pr.wall_s),
        pr.kernels.filter((k) => !/MatMul/.test(k.name)).slice(0, 5).map((k) => `${k.name} ${fmtMs(k.s)}`).join(', ')],
      ['      outside kernels', fmtMs(outside), fmtPct(outside, pr.wall_s),
        'wall minus kernels: uploads, op dispatch, host-side work, downloads, GC'],
    ]),
  );
  return lines;
}

export function memoryLines(out: ZoStepRun): string[] {
  const mem = out.memory;
  if ('error' in mem) return ['', `peak memory: not measured: ${mem.error}`];
  return [
    '',
    `peak memory (child process \`--memory\`): ${mem.shape}; ${fmtInt(mem.parameters)} parameters, fp32 ${fmtMiB(mem.fp32_bytes)}`,
    `  peak RSS (${mem.peak_source}): after backend init ${fmtMiB(mem.max_rss_after_init_bytes)}, after building ${fmtMiB(mem.max_rss_after_build_bytes)}, ` +
      `after ${mem.steps} ZO steps at seq ${mem.seq} ${fmtMiB(mem.peak_rss_bytes)} = ${(mem.peak_rss_bytes / mem.fp32_bytes).toFixed(2)}x fp32 ` +
      `(wasm heap ${mem.wasm_heap_bytes == null ? 'n/a' : fmtMiB(mem.wasm_heap_bytes)}); target ${mem.target_formula} = ${fmtMiB(mem.target_bytes)}`,
    `  (process.resourceUsage().maxRSS says ${fmtMiB(mem.resource_usage_max_rss_bytes)}: on Linux a spawned child's maxRSS starts at the parent's RSS at fork, ` +
      `so the child is spawned first, while this process is small, and VmHWM is used)`,
    `  its steps: ${mem.step_s.map((s) => fmtS(s)).join(', ')} (the first includes warm-up); build ${fmtS(mem.build_s)}`,
  ];
}

/** Our step against the faster torch step and against the reference BLAS, and peak RSS against its target. */
export function zoStepRatios(out: ZoStepRun): Ratio[] {
  const o = out.ours;
  const mem = out.memory;
  const ok = out.torch.filter(torchOk);
  const tRef = ok.find((t) => t.label === 'reference BLAS');
  const tOpen = ok.find((t) => t.label === 'OpenBLAS');
  const fastest = ok.length ? ok.reduce((a, b) => (a.step.median_s <= b.step.median_s ? a : b)) : undefined;
  const memOk = !('error' in mem);
  return [
    ratio(
      '<=',
      'our step / fastest torch step',
      fastest ? [o.step.median_s / fastest.step.median_s, o.step.min_s / fastest.step.min_s] : [null, null],
      TARGET_STEP_RATIO,
      `median time of our full ZO step (wasm) / median time of the official torch step with ${fastest ? fastest.blas.kind : 'the faster BLAS'}`,
      [...(fastest ? [] : ['torch not measured']), ...(tOpen ? [] : fastest ? ['OpenBLAS not measured'] : [])],
    ),
    ratio(
      '<=',
      'our step / torch step, reference BLAS',
      tRef ? [o.step.median_s / tRef.step.median_s, o.step.min_s / tRef.step.min_s] : [null, null],
      TARGET_STEP_RATIO,
      'the same against torch linked to the reference BLAS (Debian libblas3)',
      tRef ? [] : ['not measured'],
    ),
    ratio(
      '<=',
      'peak RSS / memory target',
      [memOk ? mem.ratio : null, null],
      1,
      memOk
        ? `peak RSS of the --memory child (${fmtInt(mem.parameters)} params) / (${mem.target_formula})`
        : 'not measured',
      memOk ? [] : ['not measured'],
    ),
  ];
}
