/** The perturbation bench's report: the table of timings, the checks, and the three ratios against their targets. */
import type { MachineFacts } from '../lib/machine';
import { ratio, ratioLines, type Ratio } from '../lib/ratios';
import { fmtS, table } from '../lib/text-table';
import type { TorchPerturbResult, TorchPerturbSizes } from './torch-perturb';
import { M, bestRate, bestTotal, type AxpyResult, type MemcpyResult, type ReplayResult } from './workloads';

export interface PerturbSizes extends TorchPerturbSizes {
  copy: number;
  refAxpy: number;
}

export interface PerturbRun {
  machine: MachineFacts;
  quick: boolean;
  sizes: PerturbSizes;
  engines: { reference: string; fast: string; fast_fell_back: boolean; loaded_from: string };
  notes: string[];
  results: {
    memcpy: MemcpyResult;
    axpy: { reference: AxpyResult; fast: AxpyResult; fast_equals_reference_bitwise: boolean };
    replay_small: {
      seeds: number;
      elements: number;
      reference: ReplayResult;
      fast: ReplayResult;
      fast_equals_reference_bitwise: boolean;
    };
    replay_big: { seeds: number; elements: number; reference: ReplayResult; fast: ReplayResult };
  };
  torch: TorchPerturbResult | { error: string };
  ratios?: Ratio[];
  wall_s?: number;
  other_cpu_load_cores?: number;
}

const fmtRate = (r: number) => (r >= 1e9 ? `${(r / 1e9).toFixed(3)} Gelem/s` : `${(r / 1e6).toFixed(1)} Melem/s`);
export const fmtN = (n: number): string =>
  n >= M && n % M === 0 ? `${n / M}Mi` : n >= 1024 && n % 1024 === 0 ? `${n / 1024}Ki` : String(n);

export function perturbRatios(out: PerturbRun): Ratio[] {
  const { sizes: S, results, engines } = out;
  const { memcpy: mc, axpy: ax, replay_big: rb } = results;
  const torch = 'error' in out.torch ? null : out.torch;
  const tRb = torch?.replay.find((r) => r.seeds === S.replayBigK);
  const fb = engines.fast_fell_back ? ['fast fell back to the reference engine'] : [];
  return [
    ratio(
      '>=',
      'fast axpy vs memcpy',
      [ax.fast.elements_per_s / mc.elements_per_s, bestRate(ax.fast) / bestRate(mc)],
      0.5,
      `elements/s of fast axpy (w[j] += s*z[j], ${fmtN(S.axpy)}) / elements/s of Float32Array.set (${fmtN(S.copy)}); ` +
        'both read and write each float32 element once',
      [...fb],
    ),
    ratio(
      '>=',
      'fast axpy vs torch perturbation line',
      torch
        ? [ax.fast.elements_per_s / torch.perturb.elements_per_s, bestRate(ax.fast) / bestRate(torch.perturb)]
        : [null, null],
      10,
      `elements/s of fast axpy / elements/s of one official _zo_perturb_parameters call (manual_seed + torch.normal + update line), same ${fmtN(S.axpy)} float32 elements`,
      [...fb, ...(torch ? [] : ['torch not measured'])],
    ),
    ratio(
      '>=',
      `fast replay ${S.replayBigK}x${fmtN(S.replayN)} vs torch replay loop`,
      tRb ? [tRb.total_s / rb.fast.total_s, bestTotal(tRb) / bestTotal(rb.fast)] : [null, null],
      20,
      `time of the official seed-pool loop (zo_update per (seed, grad)) / time of fast replay, ${S.replayBigK} seeds over ${fmtN(S.replayN)} float32 elements`,
      [
        ...fb,
        ...(rb.fast.extrapolated ? [`fast side extrapolated from ${rb.fast.measured_seeds} seeds`] : []),
        ...(tRb && tRb.extrapolated ? [`torch side extrapolated from ${tRb.measured_seeds} seeds`] : []),
        ...(tRb ? [] : ['torch not measured']),
      ],
    ),
  ];
}

/** Everything above the ratios. */
export function perturbTableLines(out: PerturbRun, repeats: number): string[] {
  const { sizes: S, machine, engines } = out;
  const { memcpy: mc, axpy: ax, replay_small: rs, replay_big: rb } = out.results;
  const torch = 'error' in out.torch ? null : out.torch;
  const tRep = (k: number) => torch?.replay.find((r) => r.seeds === k);
  const tRs = tRep(S.replaySmallK);
  const tRb = tRep(S.replayBigK);
  const ext = (r: { extrapolated: boolean; measured_seeds: number }) =>
    r.extrapolated ? ` (extrapolated from ${r.measured_seeds} seeds)` : '';
  const lines: string[] = [];
  lines.push(`FedKSeed perturbation benchmark${out.quick ? ' (--quick: smaller sizes)' : ''}`);
  lines.push(`machine: ${machine.cpu} x ${machine.logical_cpus} logical CPUs; ${machine.os}; node ${machine.node}`);
  lines.push(
    `engines: reference = '${engines.reference}', fast = '${engines.fast}'${engines.fast_fell_back ? '  <-- FAST FELL BACK: the fast column is NOT the native addon' : ''}`,
  );
  lines.push(
    `torch: ${torch ? `${torch.torch_version} (python ${torch.python}, ${torch.threads} threads, float32 CPU)` : `not measured: ${(out.torch as { error: string }).error}`}`,
  );
  lines.push(`timing: median of up to ${repeats} runs after 1 warm-up (replays: up to 3 runs); results checksummed`);
  lines.push('');
  lines.push(
    table([
      ['benchmark', 'size', 'reference', `fast (${engines.fast})`, 'torch (official ops)'],
      [
        'memcpy Float32Array.set',
        `${fmtN(mc.elements)} f32`,
        `${fmtS(mc.median_s)}  ${fmtRate(mc.elements_per_s)} ${mc.gb_per_s.toFixed(2)} GB/s copied`,
        '',
        '',
      ],
      [
        'axpy / perturb line',
        `${fmtN(S.axpy)} f32`,
        `${fmtS(ax.reference.median_s)} on ${fmtN(ax.reference.elements)}  ${fmtRate(ax.reference.elements_per_s)}`,
        `${fmtS(ax.fast.median_s)}  ${fmtRate(ax.fast.elements_per_s)}`,
        torch ? `${fmtS(torch.perturb.median_s)}  ${fmtRate(torch.perturb.elements_per_s)}` : 'n/a',
      ],
      [
        `replay ${S.replaySmallK} seeds`,
        `${S.replaySmallK} x ${fmtN(S.replayN)}`,
        `${fmtS(rs.reference.total_s)}  ${fmtS(rs.reference.per_seed_s)}/seed`,
        `${fmtS(rs.fast.total_s)}  ${fmtS(rs.fast.per_seed_s)}/seed`,
        tRs ? `${fmtS(tRs.total_s)}  ${fmtS(tRs.per_seed_s)}/seed${ext(tRs)}` : 'n/a',
      ],
      [
        `replay ${S.replayBigK} seeds`,
        `${S.replayBigK} x ${fmtN(S.replayN)}`,
        `${fmtS(rb.reference.total_s)}  ${fmtS(rb.reference.per_seed_s)}/seed (extrapolated from ${S.replaySmallK} seeds)`,
        `${fmtS(rb.fast.total_s)}  ${fmtS(rb.fast.per_seed_s)}/seed${ext(rb.fast)}`,
        tRb ? `${fmtS(tRb.total_s)}  ${fmtS(tRb.per_seed_s)}/seed${ext(tRb)}` : 'n/a',
      ],
    ]),
  );
  lines.push('');
  lines.push(
    `checks: axpy fast == reference bitwise (first ${fmtN(S.refAxpy)}): ${ax.fast_equals_reference_bitwise}; ` +
      `replay ${S.replaySmallK} fast == reference bitwise: ${rs.fast_equals_reference_bitwise}; ` +
      `axpy direction z mean/std: ${ax.fast.z_mean.toFixed(4)}/${ax.fast.z_std.toFixed(4)}` +
      (torch ? `; torch z mean/std: ${torch.perturb.z_mean.toFixed(4)}/${torch.perturb.z_std.toFixed(4)}` : ''),
  );
  if (torch) {
    lines.push(
      `torch perturb call breakdown (${fmtN(S.axpy)}): torch.normal ${fmtS(torch.perturb.breakdown.torch_normal_median_s)}, ` +
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
  lines.push('');
  lines.push('ratios (higher is better for fast; PASS/FAIL on medians, best-of-runs ratio shown for reference):');
  lines.push(...ratioLines(out.ratios ?? [], '>='));
  return lines;
}
