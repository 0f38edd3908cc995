/** The ZO-step report's header and side-by-side table: ours (wasm, and cpu with --cpu) against each torch column. */
import { machineLine } from '../lib/machine';
import { fmtInt, fmtMiB, fmtMs, table, type Cell } from '../lib/text-table';
import type { ZoStepPlan } from './plan';
import type { ZoStepRun } from './run';
import { torchOk, type TorchStep } from './torch-step';

const fmtPct = (part: number | null | undefined, whole: number) =>
  part == null || !whole ? '' : `${((100 * part) / whole).toFixed(0)}%`;
export const fmtGf = (flops: number, s: number | null | undefined): string =>
  s ? `${(flops / s / 1e9).toFixed(2)} GFLOP/s` : 'n/a';
export { fmtPct };

export function headerLines(out: ZoStepRun, plan: ZoStepPlan): string[] {
  const lines: string[] = [];
  const { model: facts, engine, tfjs } = out;
  const threads = tfjs.wasm_threads;
  lines.push(`FedKSeed ZO step benchmark${out.quick ? ' (--quick: small model, few repeats)' : ''}`);
  lines.push(machineLine(out.machine));
  lines.push(
    `ours: tfjs-core ${tfjs.version}, backend ${tfjs.backend} (${threads == null ? '? threads' : `${threads} thread${threads === 1 ? '' : 's'}`}); ` +
      `perturbation engine '${engine.implementation}'${engine.info ? ` (${engine.info.isa}, ${engine.info.threads} threads)` : ''}; zoStepPerturbed eps ${out.eps}, lr ${out.lr}`,
  );
  const t = out.torch.find(torchOk);
  if (t)
    lines.push(
      `torch: ${t.torch_version} (python ${t.python}), float32 CPU, torch.set_num_threads(${t.threads}); official MeZO step ` +
        `(4 regenerations of z, 2 forwards under inference_mode); OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`,
    );
  lines.push(
    `model: ${facts.shape}: ${fmtInt(facts.total)} parameters (embedding ${fmtInt(facts.embedding)}, lm_head ${fmtInt(facts.lm_head)}, non-embedding ${fmtInt(facts.non_embedding)}), fp32 ${fmtMiB(facts.fp32_bytes)}`,
  );
  lines.push(
    `batch: 1 x ${facts.seq} tokens, labels = input ids (${facts.seq - 1} predicted positions); random weights N(0, 0.02), norms 1`,
  );
  lines.push(`forward ${facts.formula}`);
  lines.push(
    `timing: medians; ours: forward ${plan.forwardRepeats} runs after ${plan.forwardWarmup} warm-up, step ${plan.stepRepeats} steps after ${plan.stepWarmup} warm-up; ` +
      `torch: step ${plan.torchRepeats} after ${plan.torchWarmup} warm-up`,
  );
  return lines;
}

export function sideBySideLines(out: ZoStepRun): string[] {
  const o = out.ours;
  const oc = out.ours_cpu;
  const F = out.model.forward_flops;
  const head: Cell[] = ['', `ours (tfjs ${out.tfjs.backend})`];
  if (oc) head.push('ours (tfjs cpu)');
  for (const t of out.torch) head.push(`torch, ${torchOk(t) ? t.blas.kind : t.label}`);
  const row = (name: string, ours: string, oursCpu: string, torchFn: (t: TorchStep) => string): Cell[] => {
    const r: Cell[] = [name, ours];
    if (oc) r.push(oursCpu);
    for (const t of out.torch) r.push(torchOk(t) ? torchFn(t) : 'n/a');
    return r;
  };
  const bd = (t: TorchStep) => t.step.breakdown_median_s;
  const rows = [
    head,
    row(
      'forward + loss (unperturbed)',
      `${fmtMs(o.forward.median_s)}  ${fmtGf(F, o.forward.median_s)}`,
      oc ? `${fmtMs(oc.forward.median_s)}  ${fmtGf(F, oc.forward.median_s)}` : '',
      (t) => `${fmtMs(t.forward.median_s)}  ${fmtGf(F, t.forward.median_s)}`,
    ),
    row('forward + loss, 1 torch thread (info)', '', '', (t) =>
      t.forward_1_thread ? `${fmtMs(t.forward_1_thread.median_s)}  ${fmtGf(F, t.forward_1_thread.median_s)}` : 'n/a',
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
      (t) => `${fmtMs(bd(t).forwards_2)}  ${fmtPct(bd(t).forwards_2, t.step.median_s)}`,
    ),
    row(
      '  perturbation passes',
      'inside the forwards',
      oc ? 'inside the forwards' : '',
      (t) =>
        `${fmtMs(bd(t).perturb_3_passes)}  ${fmtPct(bd(t).perturb_3_passes, t.step.median_s)}  (3 x regenerate z + w += c eps z)`,
    ),
    row(
      '  update',
      `${fmtMs(o.update_and_rest.median_s)}  ${fmtPct(o.update_and_rest.median_s, o.step.median_s)}  (1 ${out.engine.implementation} axpy pass + step overhead)`,
      oc ? `${fmtMs(oc.update_and_rest.median_s)}` : '',
      (t) =>
        `${fmtMs(bd(t).update_1_pass)}  ${fmtPct(bd(t).update_1_pass, t.step.median_s)}  (zo_update: regenerate z + update)`,
    ),
    row(
      'loss on the batch (unperturbed)',
      out.ts_loss.toFixed(6),
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
    row('weights checksum after steps', o.params_checksum_sum.toFixed(6), '', (t) => t.step.checksum_sum.toFixed(6)),
    row(
      'other CPU load (cores)',
      o.other_cpu_load_cores == null ? 'n/a' : o.other_cpu_load_cores.toFixed(2),
      oc?.other_cpu_load_cores != null ? oc.other_cpu_load_cores.toFixed(2) : '',
      (t) => (t.other_cpu_load_cores == null ? 'n/a' : t.other_cpu_load_cores.toFixed(2)),
    ),
  ].filter((r) => r.slice(1).some((c) => String(c ?? '') !== '')); // drop rows with no figures
  const lines = [table(rows)];
  for (const t of out.torch) {
    if (!torchOk(t)) {
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
  return lines;
}
