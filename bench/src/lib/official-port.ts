/**
 * The command line of the official FedKSeed port (bench/reference/official_fedkseed.py) for the embedded demo:
 * its model, a split exported by `export-split.cjs --demo`, and @fedkseed/demo's DEMO_FEDERATION settings.
 */
import path from 'node:path';

import { DEMO_FEDERATION as D, DEMO_MODEL_DIR } from '@fedkseed/demo';

import { REFERENCE_DIR } from './paths';

export interface OfficialPortRun {
  /** @default the demo's numRounds */
  rounds?: number;
  seed: number | string;
  mode: 'fedkseed' | 'fedkseed-pro';
  /** torch.set_num_threads; torch's own choice when absent. */
  threads?: number;
}

/** argv for /usr/bin/python3. */
export function officialPortArgs(splitFile: string, { rounds = D.numRounds, seed, mode, threads }: OfficialPortRun) {
  // prettier-ignore
  return [
    path.join(REFERENCE_DIR, 'official_fedkseed.py'),
    '--model-dir', DEMO_MODEL_DIR, '--split', splitFile, '--rounds', String(rounds),
    '--clients-per-round', String(D.clientsPerRound), '--tau', String(D.numLocalSteps),
    '-K', String(D.numCandidateSeeds), '--eps', String(D.zoEps), '--lr', String(D.zoLr),
    '--batch-size', String(D.batchSize), '--seed', String(seed), '--mode', mode,
    ...(threads ? ['--threads', String(threads)] : []),
  ];
}
