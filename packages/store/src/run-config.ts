/**
 * A run's fixed configuration as the store keeps it: @fedkseed/zo's `RunConfig`, written once by `initRun` and
 * compared, as canonical JSON, on every later `initRun`: a replica that starts with different settings is refused
 * rather than silently drifting (the global model is w_0 - lr * sum_i A[i] z_i only if K, the seeds and lr never
 * change during a run). The defaults and the rules of every field are zo's (`resolveRunConfig`).
 */
import {
  RUN_CONFIG_FIELD_NAMES,
  RunConfigError,
  resolveRunConfig,
  type AggregationWeightingMode,
  type RunConfig,
  type RunConfigInput,
} from '@fedkseed/zo';

import { storeError } from './errors';

export interface StoredRunConfig extends RunConfig {
  /** When the run was first initialized, Unix epoch milliseconds. */
  createdAtMs: number;
}

/** Fills in defaults and validates; throws one INVALID_ARGUMENT listing every problem. */
export function resolveStoredRunConfig(input: RunConfigInput): RunConfig {
  try {
    return resolveRunConfig(input);
  } catch (e) {
    if (e instanceof RunConfigError) throw storeError('INVALID_ARGUMENT', { detail: e.message, cause: e });
    throw e;
  }
}

/**
 * Canonical JSON of a resolved config: zo's field order, runSeed in decimal. JavaScript prints the shortest
 * string that reads back as the same double, so the numbers survive the round trip exactly.
 */
export function encodeRunConfig(c: RunConfig): string {
  return JSON.stringify(
    Object.fromEntries(
      RUN_CONFIG_FIELD_NAMES.map((field) => [field, field === 'runSeed' ? String(c.runSeed) : c[field]]),
    ),
  );
}

export function decodeRunConfig(json: string, createdAtMs: number): StoredRunConfig {
  const o = JSON.parse(json) as Omit<RunConfig, 'runSeed'> & { runSeed: string };
  return { ...o, runSeed: BigInt(o.runSeed), createdAtMs };
}

/** The aggregation weight of a client with `numExamples` examples under `weighting`. */
export function clientWeight(weighting: AggregationWeightingMode, numExamples: number): number {
  return weighting === 'equal' ? 1 : numExamples;
}
