/**
 * The official FedKSeed step in PyTorch on the same weights (bench/reference/torch_zo_step.py), linked to the
 * reference BLAS or to OpenBLAS by LD_LIBRARY_PATH for the run.
 */
import fs from 'node:fs';
import path from 'node:path';

import { otherLoad, readCpuTicks } from '../lib/cpu-load';
import { REFERENCE_DIR } from '../lib/paths';
import { runPythonJson } from '../lib/python-runner';
import type { TimingStats } from '../lib/statistics';
import { EPS, LR, TORCH_THREADS, type ZoStepPlan } from './plan';

const REFERENCE_BLAS_DIRS = ['/usr/lib/x86_64-linux-gnu/blas', '/usr/lib/x86_64-linux-gnu/lapack'];
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

export interface TorchStep {
  label: string;
  env: Record<string, string>;
  wall_s: number;
  other_cpu_load_cores: number | null;
  torch_version: string;
  python: string;
  threads: number;
  forward: TimingStats;
  forward_1_thread?: TimingStats;
  step: TimingStats & {
    breakdown_median_s: { forwards_2: number; perturb_3_passes: number; update_1_pass: number };
    last: { loss_plus: number; loss_minus: number; projected_grad: number };
    checksum_sum: number;
  };
  loss: { torch: number; rel_diff: number; agree: boolean };
  blas: {
    kind: string;
    matmul_1024_median_s: number;
    matmul_1024_gflops: number;
    torch_build: { blas_info?: string };
    loaded_libraries: string[];
    openblas?: { config?: string; error?: string; corename?: string; threads?: number };
    env: Record<string, string | undefined>;
  };
}

export type TorchColumn = TorchStep | { label: string; error: string };
export const torchOk = (t: TorchColumn): t is TorchStep => !('error' in t);

interface TorchRun {
  python: string;
  plan: ZoStepPlan;
  modelDir: string;
  batchFile: string;
  tsLoss: number;
  log: (message: string) => void;
}

function runTorch(label: string, env: Record<string, string>, r: TorchRun): TorchColumn {
  // prettier-ignore
  const args = [
    '--model-dir', r.modelDir, '--batch', r.batchFile, '--ts-loss', String(r.tsLoss),
    '--threads', String(TORCH_THREADS), '--warmup', String(r.plan.torchWarmup),
    '--repeats', String(r.plan.torchRepeats), '--forward-repeats', String(r.plan.torchForwardRepeats),
    '--eps', String(EPS), '--lr', String(LR),
  ];
  const start = readCpuTicks();
  const res = runPythonJson<Omit<TorchStep, 'label' | 'env' | 'wall_s' | 'other_cpu_load_cores'>>(
    r.python,
    path.join(REFERENCE_DIR, 'torch_zo_step.py'),
    args,
    env,
    (m) => r.log(`torch (${label}): ${m}`),
  );
  const load = otherLoad(start);
  if (!res.ok) return { label, error: res.error };
  return { label, env, wall_s: res.wallS, other_cpu_load_cores: load, ...res.value };
}

const withLibraryPath = (dirs: string[]) => ({
  LD_LIBRARY_PATH: [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
});

/** The reference-BLAS column, then the OpenBLAS one (or why it is missing). */
export function torchColumns(r: TorchRun): TorchColumn[] {
  const refDirs = REFERENCE_BLAS_DIRS.filter((d) => fs.existsSync(d));
  const columns = [runTorch('reference BLAS', refDirs.length ? withLibraryPath(refDirs) : {}, r)];
  columns.push(
    fs.existsSync(OPENBLAS_DIR)
      ? runTorch('OpenBLAS', withLibraryPath([OPENBLAS_DIR]), r)
      : {
          label: 'OpenBLAS',
          error: `${OPENBLAS_DIR} not found: install it with \`apt-get install -y libopenblas0-pthread\``,
        },
  );
  return columns;
}
