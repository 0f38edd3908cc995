import { RUN_CONFIG_DEFAULTS, resolveRunConfig } from '@fedkseed/zo';

import { DEMO_FEDERATION, DEMO_RUN_FIELDS, demoRunConfig } from './demo-settings';

describe('demoRunConfig', () => {
  it("is a valid RunConfig carrying the demo's run fields over the defaults", () => {
    const run = demoRunConfig('demo-run');
    expect(resolveRunConfig(run)).toEqual(run); // every field passes the run configuration's rules
    expect(run.runId).toBe('demo-run');
    for (const field of DEMO_RUN_FIELDS) expect(run[field]).toBe(DEMO_FEDERATION[field]);
    expect(run.zoLr).not.toBe(RUN_CONFIG_DEFAULTS.zoLr);
    expect(run.importanceClip).toBe(RUN_CONFIG_DEFAULTS.importanceClip);
  });

  it('takes other settings', () => {
    expect(demoRunConfig('r', { ...DEMO_FEDERATION, zoLr: 2e-5, numRounds: 3 })).toMatchObject({
      zoLr: 2e-5,
      numRounds: 3,
    });
  });
});
