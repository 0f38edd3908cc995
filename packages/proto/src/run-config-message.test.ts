import {
  RUN_CONFIG_FIELDS,
  RUN_CONFIG_FIELD_NAMES,
  resolveRunConfig,
  type RunConfig as RunConfigSettings,
  type RunConfigField,
} from '@fedkseed/zo';

import { AggregationRule, AggregationWeighting, RunConfig, SeedSampling } from './generated/fedkseed/v1/run';
import { runConfigFromMessage, runConfigToMessage } from './run-config-message';

describe('RunConfig message <-> zo RunConfig', () => {
  it('has one proto field per zo field, named its snake_case', () => {
    // ts-proto names each field the camelCase of the proto's, so equal keys mean equal names in both layers.
    expect(Object.keys(RunConfig.fromPartial({})).sort()).toEqual([...RUN_CONFIG_FIELD_NAMES].sort());
  });

  it('round-trips every field through the wire bytes', () => {
    // Every field away from its default, so that a field the mapping drops or fixes cannot round-trip.
    const defaults = resolveRunConfig({ runId: 'wire-2', runSeed: 1n });
    const config = resolveRunConfig(
      Object.fromEntries(
        RUN_CONFIG_FIELD_NAMES.map((field) => [field, otherValue(field, defaults[field])]),
      ) as unknown as RunConfigSettings,
    );
    for (const field of RUN_CONFIG_FIELD_NAMES) expect([field, config[field]]).not.toEqual([field, defaults[field]]);
    const message = runConfigToMessage(config);
    expect(message.seedSampling).toBe(SeedSampling.SEED_SAMPLING_IMPORTANCE);
    expect(message.aggregationWeighting).toBe(AggregationWeighting.AGGREGATION_WEIGHTING_EQUAL);
    expect(message.aggregationRule).toBe(AggregationRule.AGGREGATION_RULE_TRIMMED_MEAN);
    const decoded = RunConfig.decode(RunConfig.encode(message).finish());
    expect(runConfigFromMessage(decoded)).toEqual(config);
    expect(runConfigFromMessage(runConfigToMessage(defaults))).toEqual(defaults);
    expect(runConfigToMessage(defaults)).toMatchObject({
      seedSampling: SeedSampling.SEED_SAMPLING_UNIFORM,
      aggregationWeighting: AggregationWeighting.AGGREGATION_WEIGHTING_DATA_SIZE,
    });
  });

  it('refuses unset enums and values that break the rules', () => {
    const message = runConfigToMessage(resolveRunConfig({ runId: 'wire-3', runSeed: 1n }));
    expect(() => runConfigFromMessage({ ...message, seedSampling: SeedSampling.SEED_SAMPLING_UNSPECIFIED })).toThrow(
      /seed_sampling 0 is unset or unknown/,
    );
    expect(() => runConfigFromMessage({ ...message, aggregationWeighting: 7 as AggregationWeighting })).toThrow(
      /aggregation_weighting 7/,
    );
    expect(() => runConfigFromMessage({ ...message, numCandidateSeeds: 0, zoLr: 0 })).toThrow(
      /numCandidateSeeds must be an integer in \[1, 4294967295\], got 0; zoLr must be a finite number > 0/,
    );
  });
});

/** A valid value of `field` other than `value`. */
function otherValue(field: RunConfigField, value: unknown): unknown {
  const rule = RUN_CONFIG_FIELDS[field];
  switch (rule.kind) {
    case 'string':
      return `${value as string}x`;
    case 'uint64':
      return (value as bigint) ^ 0xffff_ffff_0000_0000n;
    case 'int':
      return (value as number) + 1;
    case 'number': {
      const other = (value as number) * 2 + 1;
      return rule.lessThan !== undefined && !(other < rule.lessThan) ? (value as number) / 2 + 1e-3 : other;
    }
    case 'enum':
      return rule.values.find((v) => v !== value);
    case 'bool':
      return !value;
  }
}
