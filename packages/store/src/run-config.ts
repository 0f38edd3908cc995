/**
 * A run's fixed configuration. It is written once by `initRun` and compared, as canonical JSON, on every
 * later `initRun`: a replica that starts with different settings is refused rather than silently drifting
 * (the global model is w_0 - lr * sum_i A[i] z_i only if K, the seeds and lr never change during a run).
 */
import { storeError } from './errors';

export type RunMode = 'fedkseed' | 'fedkseed-pro';
/** How a reporting client's scalars are weighted in aggregation (renormalized over those who reported). */
export type ClientWeighting = 'data-size' | 'equal';

export interface RunConfigInput {
  /** K, the number of candidate seeds; seed indices lie in [0, K). @default 4096 */
  numCandidateSeeds?: number;
  /** tau, local ZO steps per round, i.e. at most this many (seedIndex, scalarGrad) pairs per upload. @default 200 */
  numLocalSteps?: number;
  /** ZO perturbation scale eps. @default 5e-4 */
  eps?: number;
  /** Learning rate lr (constant for the whole run). @default 3e-7 */
  lr?: number;
  /** The uint64 run seed from which every candidate seed derives. */
  runSeed: bigint;
  /** Uniform seed sampling (FedKSeed) or importance-weighted (FedKSeed-Pro). @default 'fedkseed' */
  mode?: RunMode;
  /** Client weights in aggregation: data size n_c, or 1 each. @default 'data-size' */
  weighting?: ClientWeighting;
  /** FedKSeed-Pro clip bound c on |g| before it enters the importance statistics. @default 1000 */
  importanceClip?: number;
  /** FedKSeed-Pro initial history entry of every seed (so each count starts at 1). @default 0 */
  importanceGradInitial?: number;
}

export type ResolvedRunConfig = Required<RunConfigInput>;

export interface RunConfig extends ResolvedRunConfig {
  /** When the run was first initialized, Unix epoch milliseconds. */
  createdAtMs: number;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** Fills in defaults and validates; throws one INVALID_ARGUMENT listing every problem. */
export function resolveRunConfig(input: RunConfigInput): ResolvedRunConfig {
  const c: ResolvedRunConfig = {
    numCandidateSeeds: input.numCandidateSeeds ?? 4096,
    numLocalSteps: input.numLocalSteps ?? 200,
    eps: input.eps ?? 5e-4,
    lr: input.lr ?? 3e-7,
    runSeed: input.runSeed,
    mode: input.mode ?? 'fedkseed',
    weighting: input.weighting ?? 'data-size',
    importanceClip: input.importanceClip ?? 1000,
    importanceGradInitial: input.importanceGradInitial ?? 0,
  };
  const problems: string[] = [];
  if (!Number.isInteger(c.numCandidateSeeds) || c.numCandidateSeeds < 1 || c.numCandidateSeeds > 0xffffffff)
    problems.push(`numCandidateSeeds must be an integer in [1, 2^32), got ${c.numCandidateSeeds}`);
  if (!Number.isInteger(c.numLocalSteps) || c.numLocalSteps < 1 || c.numLocalSteps > 0xffffffff)
    problems.push(`numLocalSteps must be an integer in [1, 2^32), got ${c.numLocalSteps}`);
  if (!(c.eps > 0) || !Number.isFinite(c.eps)) problems.push(`eps must be finite and > 0, got ${c.eps}`);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) problems.push(`lr must be finite and > 0, got ${c.lr}`);
  if (typeof c.runSeed !== 'bigint' || c.runSeed < 0n || c.runSeed > MAX_UINT64)
    problems.push('runSeed must be a uint64 bigint');
  if (c.mode !== 'fedkseed' && c.mode !== 'fedkseed-pro')
    problems.push(`mode must be 'fedkseed' or 'fedkseed-pro', got ${JSON.stringify(c.mode)}`);
  if (c.weighting !== 'data-size' && c.weighting !== 'equal')
    problems.push(`weighting must be 'data-size' or 'equal', got ${JSON.stringify(c.weighting)}`);
  if (!(c.importanceClip > 0) || !Number.isFinite(c.importanceClip))
    problems.push(`importanceClip must be finite and > 0, got ${c.importanceClip}`);
  if (!Number.isFinite(c.importanceGradInitial))
    problems.push(`importanceGradInitial must be finite, got ${c.importanceGradInitial}`);
  if (problems.length) throw storeError('INVALID_ARGUMENT', { detail: `run config: ${problems.join('; ')}` });
  return c;
}

/**
 * Canonical JSON of a resolved config: fixed field order, runSeed in decimal. JavaScript prints the
 * shortest string that reads back as the same double, so the numbers survive the round trip exactly.
 */
export function encodeRunConfig(c: ResolvedRunConfig): string {
  return JSON.stringify({
    numCandidateSeeds: c.numCandidateSeeds,
    numLocalSteps: c.numLocalSteps,
    eps: c.eps,
    lr: c.lr,
    runSeed: c.runSeed.toString(),
    mode: c.mode,
    weighting: c.weighting,
    importanceClip: c.importanceClip,
    importanceGradInitial: c.importanceGradInitial,
  });
}

export function decodeRunConfig(json: string, createdAtMs: number): RunConfig {
  const o = JSON.parse(json) as Omit<ResolvedRunConfig, 'runSeed'> & { runSeed: string };
  return { ...o, runSeed: BigInt(o.runSeed), createdAtMs };
}

/** The aggregation weight of a client with `numExamples` examples under `weighting`. */
export function clientWeight(weighting: ClientWeighting, numExamples: number): number {
  return weighting === 'equal' ? 1 : numExamples;
}
