/**
 * The run-state file `fedkseed local-cluster` writes at the end of its run: what rebuilding the tuned model
 * needs (the base model, the run seed, K, the learning rate and the final A), the same fields under the same
 * names as a simulate report (docs/simulate-report.md), so `fedkseed export --report` reads either.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const RUN_STATE_SCHEMA = 'fedkseed-run-state/v1';

export interface RunStateFile {
  schema: typeof RUN_STATE_SCHEMA;
  createdAt: string;
  runId: string;
  /** uint64 run seed, in decimal. */
  runSeed: string;
  numCandidateSeeds: number;
  zoLr: number;
  /** Absolute path of the base model's checkpoint directory (w0). */
  baseModelDir: string;
  /** The model version A belongs to (rounds committed). */
  modelVersion: number;
  /** The final A: K float64 numbers. */
  accumulated: number[];
}

export function writeRunStateFile(path: string, state: Omit<RunStateFile, 'schema' | 'createdAt'>): void {
  const file: RunStateFile = {
    schema: RUN_STATE_SCHEMA,
    createdAt: new Date().toISOString(),
    ...state,
    baseModelDir: resolve(state.baseModelDir),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}
