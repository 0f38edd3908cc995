/** The official FedKSeed perturbation ops in PyTorch (bench/reference/torch_perturb.py), as the bench runs them. */
import path from 'node:path';

import { REFERENCE_DIR } from '../lib/paths';
import { runPythonJson } from '../lib/python-runner';

export interface TorchReplay {
  seeds: number;
  measured_seeds: number;
  extrapolated: boolean;
  total_s: number;
  per_seed_s: number;
  min_s: number;
}

export interface TorchPerturbResult {
  torch_version: string;
  python: string;
  threads: number;
  perturb: {
    median_s: number;
    min_s: number;
    elements: number;
    elements_per_s: number;
    z_mean: number;
    z_std: number;
    breakdown: { torch_normal_median_s: number; update_line_median_s: number };
  };
  replay: TorchReplay[];
}

export interface TorchPerturbSizes {
  axpy: number;
  replayN: number;
  replaySmallK: number;
  replayBigK: number;
  torchMeasureSeeds: number;
}

/** The torch side's figures, or `{ error }` (not installed, skipped, failed). */
export function runTorchPerturb(
  python: string,
  sizes: TorchPerturbSizes,
  repeats: number,
  log: (message: string) => void,
): TorchPerturbResult | { error: string } {
  // prettier-ignore
  const args = [
    '--perturb-elements', String(sizes.axpy), '--replay-elements', String(sizes.replayN),
    '--replay-seeds', `${sizes.replaySmallK},${sizes.replayBigK}`,
    '--replay-measure-seeds', String(sizes.torchMeasureSeeds), '--threads', '2', '--repeats', String(repeats),
  ];
  const r = runPythonJson<TorchPerturbResult>(python, path.join(REFERENCE_DIR, 'torch_perturb.py'), args, {}, log);
  return r.ok ? r.value : { error: r.error };
}
