/**
 * The run configuration as command-line flags: one flag per RunConfig field of @fedkseed/zo, named by the rule
 * of docs/run-config.md (`--` and the kebab-case of the field: zoEps -> --zo-eps), validated by the same rules
 * (RUN_CONFIG_FIELDS), and turned into the services' environment variables by process-kit's names. The one
 * mapping between flags and the run configuration.
 */
import type { Command } from 'commander';
import { runConfigEnvVar } from '@fedkseed/process-kit';
import {
  RUN_CONFIG_FIELDS,
  RUN_CONFIG_FIELD_NAMES,
  runConfigFieldProblem,
  type RunConfig,
  type RunConfigField,
} from '@fedkseed/zo';

import type { FlagReader } from './flag-reader';

/** What each flag sets (docs/run-config.md has the long form). */
const DESCRIPTIONS: Record<RunConfigField, string> = {
  runId: 'run id, [A-Za-z0-9._-]{1,128}: part of every store key and token',
  runSeed: 'uint64 run seed: seed keys, selection, data order',
  numCandidateSeeds: 'K, the candidate seeds',
  numLocalSteps: 'tau, local ZO steps per selected client per round',
  zoEps: 'perturbation scale of the two-point estimate',
  zoLr: 'ZO learning rate, constant for the run',
  batchSize: 'training examples per local step',
  maxSequenceLength: 'tokens per example after truncation',
  gradClip: 'skip a step when |L+ - L-| exceeds it (0: never)',
  seedSampling: 'uniform (FedKSeed) or importance (FedKSeed-Pro)',
  aggregationWeighting: 'data-size or equal client weights',
  importanceClip: 'FedKSeed-Pro: clip bound on |g| in the seed importance',
  importanceGradInitial: "FedKSeed-Pro: every seed's initial history value",
  baseModelId: 'the base model clients must train on (at most 256 characters)',
  numRounds: 'rounds the run opens (0: until stopped)',
  allowLossyCatchUp: 'catch-ups may travel as bfloat16',
  scalarClip: 'the server clips every |g| to this before it enters A (0: no clip)',
  aggregationRule: "mean (FedKSeed), or trimmed-mean or median of a seed's contributions",
  aggregationTrimFraction: 'trimmed-mean: fraction dropped at each end, in [0, 0.5)',
};

export const flagName = (field: RunConfigField) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const display = (v: unknown) => (typeof v === 'bigint' ? v.toString() : String(v));

/** Adds a flag for every run-config field, `defaults` shown in the help. */
export function withRunConfigFlags(command: Command, defaults: RunConfig): Command {
  for (const field of RUN_CONFIG_FIELD_NAMES) {
    const name = flagName(field);
    const rule = RUN_CONFIG_FIELDS[field];
    const help = `${DESCRIPTIONS[field]} (default: ${display(defaults[field]) || '""'})`;
    if (rule.kind === 'bool') {
      command.option(`--${name}`, help);
      command.option(`--no-${name}`, `the opposite of --${name}`);
    } else {
      command.option(`--${name} <${rule.kind === 'enum' ? rule.values.join('|') : 'value'}>`, help);
    }
  }
  return command;
}

/** The run configuration from the flags, `defaults` where a flag is absent; problems go to `flags`. */
export function readRunConfigFlags(flags: FlagReader, defaults: RunConfig): RunConfig {
  const config = { ...defaults };
  const set = config as Record<RunConfigField, unknown>;
  for (const field of RUN_CONFIG_FIELD_NAMES) {
    const name = flagName(field);
    const rule = RUN_CONFIG_FIELDS[field];
    if (rule.kind === 'bool') {
      const value = flags.rawValue(field);
      if (typeof value === 'boolean') set[field] = value;
      continue;
    }
    const text = flags.string(name);
    if (text === undefined) continue;
    let value: unknown = text;
    if (rule.kind === 'uint64') value = /^(\d+|0x[0-9a-f]+)$/i.test(text.trim()) ? BigInt(text.trim()) : text;
    else if (rule.kind === 'int' || rule.kind === 'number') value = text.trim() === '' ? NaN : Number(text);
    const problem = runConfigFieldProblem(field, value);
    if (problem) flags.problem(`--${name}: ${problem.replace(`${field} `, '')}`);
    else set[field] = value;
  }
  return config;
}

/** The services' environment variables of a run configuration (process-kit's readRunConfigEnv reads them). */
export function runConfigEnv(config: RunConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const field of RUN_CONFIG_FIELD_NAMES) env[runConfigEnvVar(field)] = display(config[field]);
  return env;
}
