/**
 * Everything `fedkseed simulate` runs with: the run configuration (RunConfig of @fedkseed/zo, the vocabulary of
 * docs/run-config.md), the data split, and the simulator's own choices. The defaults are the embedded demo's
 * federation: the model in packages/demo/model, 10 clients of the tiny Dolly corpus, 2 per round, 8 rounds,
 * K 4096, tau 200, and a learning rate far above the paper's 3e-7, as small float32 models need.
 */
import { join } from 'node:path';

import type { PromptWording } from '@fedkseed/data';
import type { SyncMode } from '@fedkseed/sdk';
import { RUN_CONFIG_DEFAULTS, type RunConfig } from '@fedkseed/zo';

export interface SimulationSettings {
  /** The run: K, tau, eps, lr, seeds, sampling, rounds, ... */
  run: RunConfig;
  /** Hugging Face checkpoint directory of w0. */
  modelDir: string;
  /** Dolly-format JSON Lines file; absent: the shipped tiny Dolly corpus. */
  dataFile?: string;
  numClients: number;
  clientsPerRound: number;
  heldOutCategory: string;
  dirichletAlpha: number;
  minPerClient: number;
  partitionSeed: number;
  promptWording: PromptWording;
  /** How clients keep their model at the run's version (see @fedkseed/sdk's ModelReplica). */
  sync: SyncMode;
  /** Held-out examples the loss is measured on (the first ones of the held-out set); 0 = all. */
  numEvalExamples: number;
  /** Held-out prompts whose greedy generations are scored with Rouge-L at the start and the end. */
  numGenerations: number;
  maxNewTokens: number;
  /** Redis for the round state instead of the embedded store. */
  redisUrl?: string;
}

/** The run id of the embedded demo (a run in Redis gets a fresh one unless --run-id is given). */
export const DEMO_RUN_ID = 'fedkseed-demo';

/** The embedded demo model's checkpoint directory (packages/demo/model, from src/ or dist/ alike). */
export const DEMO_MODEL_DIR = join(__dirname, '..', '..', '..', 'demo', 'model');

/** The tiny Dolly corpus @fedkseed/data ships (packages/data/fixtures, CC0). */
export const TINY_DOLLY_FILE = join(__dirname, '..', '..', '..', 'data', 'fixtures', 'tiny-dolly.jsonl');

export const DEFAULT_SIMULATION: SimulationSettings = {
  run: {
    ...RUN_CONFIG_DEFAULTS,
    runId: DEMO_RUN_ID,
    runSeed: 1n,
    numCandidateSeeds: 4096,
    numLocalSteps: 200,
    zoEps: 1e-3,
    zoLr: 1e-5,
    batchSize: 1,
    maxSequenceLength: 256,
    numRounds: 8,
  },
  modelDir: DEMO_MODEL_DIR,
  numClients: 10,
  clientsPerRound: 2,
  heldOutCategory: 'summarization',
  dirichletAlpha: 0.5,
  minPerClient: 10,
  partitionSeed: 42,
  promptWording: 'alpaca',
  sync: 'catch-up',
  numEvalExamples: 0,
  numGenerations: 8,
  maxNewTokens: 32,
};
