/**
 * The run configuration from environment variables: the one mapping from @fedkseed/zo's `RunConfig` fields to
 * variables, each named the UPPER_SNAKE_CASE of its field (`zoEps` -> `ZO_EPS`) and read with the field's rule
 * and default from zo (docs/run-config.md lists them). Problems go to the reader, so a process's
 * `loadConfig(env)` still reports every problem at once.
 */
import {
  RUN_CONFIG_DEFAULTS,
  RUN_CONFIG_FIELDS,
  RUN_CONFIG_FIELD_NAMES,
  type RunConfig,
  type RunConfigField,
} from '@fedkseed/zo';

import type { EnvReader } from './config';

/** The environment variable of a run-config field: its UPPER_SNAKE_CASE (`numCandidateSeeds` -> `NUM_CANDIDATE_SEEDS`). */
export function runConfigEnvVar(field: RunConfigField): string {
  return field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Every field of the run configuration; runId and runSeed are required, the rest default as zo says. */
export function readRunConfigEnv(e: EnvReader): RunConfig;
/** Only `fields` (a process that needs a few, e.g. the seed-probability service). */
export function readRunConfigEnv<F extends RunConfigField>(e: EnvReader, fields: readonly F[]): Pick<RunConfig, F>;
export function readRunConfigEnv(
  e: EnvReader,
  fields: readonly RunConfigField[] = RUN_CONFIG_FIELD_NAMES,
): Partial<RunConfig> {
  return Object.fromEntries(fields.map((field) => [field, readField(e, field)]));
}

function readField(e: EnvReader, field: RunConfigField): unknown {
  const name = runConfigEnvVar(field);
  const rule = RUN_CONFIG_FIELDS[field];
  const fallback = (RUN_CONFIG_DEFAULTS as Partial<RunConfig>)[field];
  switch (rule.kind) {
    case 'string': {
      const { maxLength, pattern } = rule;
      const value = e.string(name, { default: fallback as string | undefined, maxLength, pattern });
      if (value === undefined) e.problem(`${name} is required`);
      return value ?? '';
    }
    case 'uint64':
      return e.uint64(name, { default: fallback as bigint | undefined });
    case 'int':
      return e.int(name, { default: fallback as number | undefined, min: rule.min, max: rule.max });
    case 'number':
      return e.number(name, { default: fallback as number | undefined, min: rule.min, greaterThan: rule.greaterThan });
    case 'enum':
      return e.oneOf(name, rule.values, { default: fallback as string | undefined });
    case 'bool':
      return e.bool(name, { default: fallback as boolean });
  }
}
