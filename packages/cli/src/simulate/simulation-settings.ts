/**
 * Everything `fedkseed simulate` runs with: the run configuration (RunConfig of @fedkseed/zo, the vocabulary of
 * docs/run-config.md), the data split, and the simulator's own choices. The defaults are the embedded demo's
 * federation, @fedkseed/demo's DEMO_FEDERATION (its README says how they were measured): the model in
 * packages/demo/model, 10 clients of the tiny Dolly corpus, 2 per round, K 4096, tau 200, and a learning rate far
 * above the paper's 3e-7, as small float32 models need.
 */
import { DEMO_FEDERATION, DEMO_MODEL_DIR, demoRunConfig } from '@fedkseed/demo';
import type { PromptWording } from '@fedkseed/data';
import type { SyncMode } from '@fedkseed/sdk';
import type { RunConfig } from '@fedkseed/zo';

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

const demo = DEMO_FEDERATION;

export const DEFAULT_SIMULATION: SimulationSettings = {
  run: demoRunConfig(DEMO_RUN_ID),
  modelDir: DEMO_MODEL_DIR,
  numClients: demo.numClients,
  clientsPerRound: demo.clientsPerRound,
  heldOutCategory: demo.heldOutCategory,
  dirichletAlpha: demo.dirichletAlpha,
  minPerClient: demo.minPerClient,
  partitionSeed: demo.partitionSeed,
  promptWording: demo.promptWording,
  sync: 'catch-up',
  numEvalExamples: 0,
  numGenerations: 8,
  maxNewTokens: demo.maxNewTokens,
};
