/**
 * The command line of the official FedKSeed port (bench/reference/official_fedkseed.py) for the embedded demo:
 * its model, a split exported by `export-split.cjs --demo`, and @fedkseed/demo's DEMO_FEDERATION settings.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const { DEMO_FEDERATION: D, DEMO_MODEL_DIR } = require(path.join(ROOT, 'packages', 'demo', 'dist', 'index.js'));

/** argv for /usr/bin/python3: `rounds` (default the demo's), run `seed`, `mode`, and `threads` when given. */
function officialPortArgs(splitFile, { rounds = D.numRounds, seed, mode, threads } = {}) {
  // prettier-ignore
  return [
    path.join(ROOT, 'bench', 'reference', 'official_fedkseed.py'),
    '--model-dir', DEMO_MODEL_DIR, '--split', splitFile, '--rounds', String(rounds),
    '--clients-per-round', String(D.clientsPerRound), '--tau', String(D.numLocalSteps),
    '-K', String(D.numCandidateSeeds), '--eps', String(D.zoEps), '--lr', String(D.zoLr),
    '--batch-size', String(D.batchSize), '--seed', String(seed), '--mode', mode,
    ...(threads ? ['--threads', String(threads)] : []),
  ];
}

module.exports = { officialPortArgs };
