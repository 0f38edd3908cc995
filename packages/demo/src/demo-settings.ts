/**
 * The demo federation's recommended settings: FedKSeed (Qin et al., ICML 2024) on the demo model and the tiny
 * Dolly corpus, sized to finish within a few minutes on two CPU cores. The run's fields are @fedkseed/zo's
 * RunConfig fields under the same names; the rest say how the demo splits its data and evaluates. Every value but
 * the learning rate, eps and the round count is the paper's or follows from the corpus; those three come from the
 * sweep in bench/demo-lr-sweep.cjs (the package README gives its figures).
 */
import type { PromptWording } from '@fedkseed/data';
import { RUN_CONFIG_DEFAULTS, type RunConfig } from '@fedkseed/zo';

/** The run's fields the demo sets (the others keep RUN_CONFIG_DEFAULTS). */
export const DEMO_RUN_FIELDS = [
  'runSeed',
  'numCandidateSeeds',
  'numLocalSteps',
  'zoEps',
  'zoLr',
  'batchSize',
  'maxSequenceLength',
  'gradClip',
  'seedSampling',
  'aggregationWeighting',
  'numRounds',
] as const satisfies readonly (keyof RunConfig)[];

type DemoRunFields = Pick<RunConfig, (typeof DEMO_RUN_FIELDS)[number]>;

export interface DemoFederationSettings extends DemoRunFields {
  /** Clients the tiny Dolly training examples are split over (label-Dirichlet). */
  readonly numClients: number;
  /** Clients selected in each round (FedKSeed's m). */
  readonly clientsPerRound: number;
  /** The Dolly category held out as the evaluation set; the clients never see it. */
  readonly heldOutCategory: string;
  /** Dirichlet concentration of the label skew across clients (the paper's 0.5). */
  readonly dirichletAlpha: number;
  /** Fewest examples per client in the split. */
  readonly minPerClient: number;
  /** Seed of the split (fixed: every run fine-tunes on the same clients). */
  readonly partitionSeed: number;
  /** The run seeds whose held-out loss the README reports (the spread is over these). */
  readonly measuredRunSeeds: readonly bigint[];
  /** Prompt template of the fine-tuning and evaluation examples. */
  readonly promptWording: PromptWording;
  /** Greedy tokens generated per held-out example for Rouge-L. */
  readonly maxNewTokens: number;
}

export const DEMO_FEDERATION: Readonly<DemoFederationSettings> = Object.freeze({
  runSeed: 1n,
  numCandidateSeeds: 4096,
  numLocalSteps: 200,
  zoEps: 1e-3,
  // Far above the paper's 3e-7 (for 1-3B-parameter models): see the README's sweep.
  zoLr: 1e-5,
  batchSize: 1,
  maxSequenceLength: 256,
  gradClip: 0,
  seedSampling: 'uniform',
  aggregationWeighting: 'data-size',
  numRounds: 12,
  numClients: 10,
  clientsPerRound: 2,
  heldOutCategory: 'summarization',
  dirichletAlpha: 0.5,
  minPerClient: 10,
  partitionSeed: 42,
  measuredRunSeeds: Object.freeze([1n, 2n, 3n]),
  promptWording: 'alpaca',
  maxNewTokens: 32,
});

/** The demo's run as a RunConfig: the run fields of `settings` over RUN_CONFIG_DEFAULTS, under the run id given. */
export function demoRunConfig(runId: string, settings: DemoFederationSettings = DEMO_FEDERATION): RunConfig {
  const fields = Object.fromEntries(DEMO_RUN_FIELDS.map((k) => [k, settings[k]])) as DemoRunFields;
  return { ...RUN_CONFIG_DEFAULTS, ...fields, runId };
}
