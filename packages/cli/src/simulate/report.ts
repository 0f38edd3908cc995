/**
 * The report of a simulated federation (schema in docs/simulate-report.md): what happened round by round, and
 * everything needed to rebuild the tuned model independently: the base model, the run seed, K, the learning
 * rate and the final accumulated vector A, so that w = w0 - zoLr * sum_i accumulated[i] * z_i
 * (docs/perturbation-spec.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import type { Generation } from './evaluator';
import type { RoundRecord, SimulationResult } from './federation';
import type { SimulationSettings } from './simulation-settings';

export const REPORT_SCHEMA = 'fedkseed-simulate-report/v1';

export interface SimulateReport {
  schema: typeof REPORT_SCHEMA;
  createdAt: string;
  runId: string;
  /** uint64 run seed, in decimal (JSON numbers lose precision past 2^53). */
  runSeed: string;
  numCandidateSeeds: number;
  zoLr: number;
  zoEps: number;
  numLocalSteps: number;
  numRounds: number;
  numClients: number;
  clientsPerRound: number;
  seedSampling: string;
  batchSize: number;
  maxSequenceLength: number;
  gradClip: number;
  sync: string;
  /** Absolute path of the base model's checkpoint directory (w0). */
  baseModelDir: string;
  data: {
    file: string;
    heldOutCategory: string;
    dirichletAlpha: number;
    partitionSeed: number;
    clientSizes: number[];
    numHeldOut: number;
  };
  /** The final A: K float64 numbers, A[i] the weighted sum of every scalar gradient of seed i. */
  accumulated: number[];
  /** One entry per round, round 0 being the start. */
  rounds: RoundRecord[];
  rougeL: { start: number; end: number; numPrompts: number };
  generations: { start: Generation[]; end: Generation[] };
  wallSeconds: number;
}

const mean = (g: Generation[]) => (g.length ? g.reduce((s, x) => s + x.rougeL, 0) / g.length : NaN);

export function buildReport(settings: SimulationSettings, result: SimulationResult, dataFile: string): SimulateReport {
  return {
    schema: REPORT_SCHEMA,
    createdAt: new Date().toISOString(),
    runId: result.runId,
    runSeed: settings.run.runSeed.toString(),
    numCandidateSeeds: settings.run.numCandidateSeeds,
    zoLr: settings.run.zoLr,
    zoEps: settings.run.zoEps,
    numLocalSteps: settings.run.numLocalSteps,
    numRounds: settings.run.numRounds,
    numClients: settings.numClients,
    clientsPerRound: settings.clientsPerRound,
    seedSampling: settings.run.seedSampling,
    batchSize: settings.run.batchSize,
    maxSequenceLength: settings.run.maxSequenceLength,
    gradClip: settings.run.gradClip,
    sync: settings.sync,
    baseModelDir: resolve(settings.modelDir),
    data: {
      file: resolve(dataFile),
      heldOutCategory: settings.heldOutCategory,
      dirichletAlpha: settings.dirichletAlpha,
      partitionSeed: settings.partitionSeed,
      clientSizes: result.clientSizes,
      numHeldOut: result.numEval,
    },
    accumulated: Array.from(result.accumulated),
    rounds: result.rounds.map(
      (r) => ({ ...r, meanLocalLoss: Number.isFinite(r.meanLocalLoss) ? r.meanLocalLoss : null }) as RoundRecord,
    ),
    rougeL: {
      start: mean(result.generationsStart),
      end: mean(result.generationsEnd),
      numPrompts: result.generationsEnd.length,
    },
    generations: { start: result.generationsStart, end: result.generationsEnd },
    wallSeconds: result.wallSeconds,
  };
}

export function writeReport(path: string, report: SimulateReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
