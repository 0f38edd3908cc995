/**
 * The configuration of a FedKSeed run (Qin et al., ICML 2024, arXiv 2312.06353): one type, its defaults
 * defined once here with the algorithm, and one name per concept in every layer. The TypeScript field is the
 * vocabulary; the proto field is its snake_case, the environment variable its UPPER_SNAKE_CASE and the CLI flag
 * its kebab-case (docs/run-config.md lists them all). None of it changes while a run lives: the model is
 * w_0 - zoLr * sum_i A[i] z_i only if K, the run seed and lr stay fixed.
 *
 * The defaults are the paper's (section 5 and the official code, branch FedKSeed of FederatedScope), for
 * ~1B-parameter models.
 */

/** How local steps choose their seed indices: uniformly (FedKSeed) or by importance (FedKSeed-Pro). */
export type SeedSamplingMode = 'uniform' | 'importance';
/** How a round's uploads are weighted when they are added into A (renormalized over the clients that reported). */
export type AggregationWeightingMode = 'data-size' | 'equal';
/**
 * How the clients' contributions to one seed are combined: their weighted mean (FedKSeed), or a robust location
 * over the clients that drew the seed (aggregate-round.ts has the definitions and what they cost).
 */
export type AggregationRuleMode = 'mean' | 'trimmed-mean' | 'median';

export const SEED_SAMPLING_MODES: readonly SeedSamplingMode[] = ['uniform', 'importance'];
export const AGGREGATION_WEIGHTING_MODES: readonly AggregationWeightingMode[] = ['data-size', 'equal'];
export const AGGREGATION_RULE_MODES: readonly AggregationRuleMode[] = ['mean', 'trimmed-mean', 'median'];

/** Run ids become part of store key names and token inputs: a safe alphabet (no braces, which would break a Redis hash tag). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export interface RunConfig {
  /** Opaque id of the run, stable for its life (e.g. "dolly-k4096-2024-06-01"): in every store key and token. Required. */
  runId: string;
  /** uint64 from which every party derives the candidate seeds' keys and the server its selections. Required. */
  runSeed: bigint;
  /** K: candidate seeds; seed indices live in [0, K). @default 4096 */
  numCandidateSeeds: number;
  /** tau: local ZO steps per selected client per round, so at most tau pairs per upload. @default 200 */
  numLocalSteps: number;
  /** ZO perturbation scale eps (dimensionless, in units of z). @default 5e-4 */
  zoEps: number;
  /** ZO learning rate lr (dimensionless), constant for the run. @default 3e-7 */
  zoLr: number;
  /** Training examples per local step (count). @default 1 */
  batchSize: number;
  /** Longest tokenized example (tokens); longer ones are truncated on the right. @default 1024 */
  maxSequenceLength: number;
  /** Skip threshold on |L+ - L-| (loss units): a step above it records no pair; 0 = none. @default 0 */
  gradClip: number;
  /** Uniform seed sampling (FedKSeed) or importance-weighted, assigned by the server (FedKSeed-Pro). @default 'uniform' */
  seedSampling: SeedSamplingMode;
  /** Aggregation weights: the client's data size n_c, or 1 each. @default 'data-size' */
  aggregationWeighting: AggregationWeightingMode;
  /** FedKSeed-Pro: clip bound c on |g| before it enters the importance statistics (Eq. 5). @default 1000 */
  importanceClip: number;
  /** FedKSeed-Pro: the value every seed's history starts with (so each count starts at 1). @default 0 */
  importanceGradInitial: number;
  /** The initial model w0 clients must train on, e.g. "Qwen/Qwen2-0.5B@main" or "sha256:..."; "" = unspecified. @default '' */
  baseModelId: string;
  /** Rounds the run opens; 0 = until the operator stops it. @default 0 */
  numRounds: number;
  /** Whether catch-ups may be sent as bfloat16 (half the bytes; bit-exact state stays available). @default true */
  allowLossyCatchUp: boolean;
  /**
   * Server-side bound c on every accepted |g| before it enters A: each scalar is clipped to [-c, c]; 0 = none.
   * The default is the official code's bias_loss_clip (the same c as importanceClip). @default 1000
   */
  scalarClip: number;
  /** How the server combines the clients' contributions to a seed: weighted mean, trimmed mean or median. @default 'mean' */
  aggregationRule: AggregationRuleMode;
  /** 'trimmed-mean': the fraction of the contributions to a seed dropped at each end, in [0, 0.5). @default 0.1 */
  aggregationTrimFraction: number;
}

export type RunConfigField = keyof RunConfig;

/** What a caller must give: the run's identity; every other field has a default. */
export type RunConfigInput = Pick<RunConfig, 'runId' | 'runSeed'> & Partial<RunConfig>;

/** The default of every field but the run's identity (runId, runSeed), defined once. */
export const RUN_CONFIG_DEFAULTS: Readonly<Omit<RunConfig, 'runId' | 'runSeed'>> = Object.freeze({
  numCandidateSeeds: 4096,
  numLocalSteps: 200,
  zoEps: 5e-4,
  zoLr: 3e-7,
  batchSize: 1,
  maxSequenceLength: 1024,
  gradClip: 0,
  seedSampling: 'uniform',
  aggregationWeighting: 'data-size',
  importanceClip: 1000,
  importanceGradInitial: 0,
  baseModelId: '',
  numRounds: 0,
  allowLossyCatchUp: true,
  scalarClip: 1000,
  aggregationRule: 'mean',
  aggregationTrimFraction: 0.1,
});

const MAX_UINT32 = 0xffffffff;

/** The value rule of one field: what any layer (environment, flags, wire, store) must accept. */
export type RunConfigFieldRule =
  | { kind: 'string'; maxLength: number; pattern?: RegExp }
  | { kind: 'uint64' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min?: number; greaterThan?: number; lessThan?: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' };

/** Every field's rule, in the canonical field order (the order of docs/run-config.md and the stored JSON). */
export const RUN_CONFIG_FIELDS: Readonly<Record<RunConfigField, RunConfigFieldRule>> = Object.freeze({
  runId: { kind: 'string', maxLength: 128, pattern: RUN_ID_PATTERN },
  runSeed: { kind: 'uint64' },
  numCandidateSeeds: { kind: 'int', min: 1, max: MAX_UINT32 },
  numLocalSteps: { kind: 'int', min: 1, max: MAX_UINT32 },
  zoEps: { kind: 'number', greaterThan: 0 },
  zoLr: { kind: 'number', greaterThan: 0 },
  batchSize: { kind: 'int', min: 1, max: MAX_UINT32 },
  maxSequenceLength: { kind: 'int', min: 1, max: MAX_UINT32 },
  gradClip: { kind: 'number', min: 0 },
  seedSampling: { kind: 'enum', values: SEED_SAMPLING_MODES },
  aggregationWeighting: { kind: 'enum', values: AGGREGATION_WEIGHTING_MODES },
  importanceClip: { kind: 'number', greaterThan: 0 },
  importanceGradInitial: { kind: 'number' },
  baseModelId: { kind: 'string', maxLength: 256 },
  numRounds: { kind: 'int', min: 0, max: MAX_UINT32 },
  allowLossyCatchUp: { kind: 'bool' },
  scalarClip: { kind: 'number', min: 0 },
  aggregationRule: { kind: 'enum', values: AGGREGATION_RULE_MODES },
  aggregationTrimFraction: { kind: 'number', min: 0, lessThan: 0.5 },
});

export const RUN_CONFIG_FIELD_NAMES = Object.keys(RUN_CONFIG_FIELDS) as readonly RunConfigField[];

/** A run configuration that breaks its rules: every problem, one per entry. */
export class RunConfigError extends RangeError {
  constructor(readonly problems: readonly string[]) {
    super(`run config: ${problems.join('; ')}`);
    this.name = 'RunConfigError';
  }
}

/** What is wrong with `value` as field `field` (undefined: nothing). */
export function runConfigFieldProblem(field: RunConfigField, value: unknown): string | undefined {
  const rule = RUN_CONFIG_FIELDS[field];
  const got = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  switch (rule.kind) {
    case 'string':
      if (typeof value !== 'string' || value.length > rule.maxLength || (rule.pattern && !rule.pattern.test(value)))
        return `${field} must be a string of at most ${rule.maxLength} characters${rule.pattern ? ` matching ${rule.pattern}` : ''}, got ${got}`;
      return undefined;
    case 'uint64':
      if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n)
        return `${field} must be a uint64 bigint, got ${got}`;
      return undefined;
    case 'int':
      if (!Number.isInteger(value) || (value as number) < rule.min || (value as number) > rule.max)
        return `${field} must be an integer in [${rule.min}, ${rule.max}], got ${got}`;
      return undefined;
    case 'number': {
      const v = value as number;
      const bad =
        typeof value !== 'number' ||
        !Number.isFinite(v) ||
        (rule.min !== undefined && v < rule.min) ||
        (rule.greaterThan !== undefined && !(v > rule.greaterThan)) ||
        (rule.lessThan !== undefined && !(v < rule.lessThan));
      if (!bad) return undefined;
      const bounds = [
        rule.greaterThan !== undefined ? `> ${rule.greaterThan}` : rule.min !== undefined ? `>= ${rule.min}` : '',
        rule.lessThan !== undefined ? `< ${rule.lessThan}` : '',
      ].filter(Boolean);
      return `${field} must be a finite number${bounds.length ? ` ${bounds.join(' and ')}` : ''}, got ${got}`;
    }
    case 'enum':
      if (typeof value !== 'string' || !rule.values.includes(value))
        return `${field} must be one of ${rule.values.join(', ')}, got ${got}`;
      return undefined;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `${field} must be true or false, got ${got}`;
  }
}

/** Fills in the defaults and checks every field; throws one RunConfigError listing every problem. */
export function resolveRunConfig(input: RunConfigInput): RunConfig {
  const config: RunConfig = { ...RUN_CONFIG_DEFAULTS, ...definedFields(input) } as RunConfig;
  const problems = RUN_CONFIG_FIELD_NAMES.map((field) => runConfigFieldProblem(field, config[field])).filter(
    (p): p is string => p !== undefined,
  );
  if (problems.length) throw new RunConfigError(problems);
  // Exactly the known fields, in canonical order.
  return Object.fromEntries(RUN_CONFIG_FIELD_NAMES.map((field) => [field, config[field]])) as unknown as RunConfig;
}

/** The input without fields set to undefined, so that they take their defaults. */
function definedFields(input: RunConfigInput): Partial<RunConfig> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
