/** `fedkseed client`: one device against a live aggregator, from flags to the end of the run. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tinyDollyExamples } from '@fedkseed/data';
import { selectBackend } from '@fedkseed/models';

import { ExitCode } from '../src';
import { TEST_JOIN_SECRET, runCli, startTestAggregator, tempDirs, writeTinyModel } from './helpers';

const temp = tempDirs();

describe('fedkseed client', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('trains until the run is done and says what it did', async () => {
    const model = temp.make('model');
    await writeTinyModel(model);
    const data = join(temp.make('data'), 'local.jsonl');
    const rows = tinyDollyExamples()
      .slice(0, 5)
      .map((e) =>
        JSON.stringify({ instruction: e.instruction, context: e.input, response: e.output, category: e.category }),
      );
    writeFileSync(data, `${rows.join('\n')}\n`);
    const app = await startTestAggregator({
      RUN_ID: `cli-client-${process.pid}`,
      NUM_CANDIDATE_SEEDS: '32',
      NUM_LOCAL_STEPS: '2',
      MAX_SEQUENCE_LENGTH: '512',
      NUM_ROUNDS: '1',
    });
    {
      const run = await runCli(
        'client',
        '--aggregator',
        app.server.address,
        '--model',
        model,
        '--data',
        data,
        '--join-secret',
        TEST_JOIN_SECRET,
        '--backend',
        'cpu',
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(ExitCode.OK);
      expect(run.stdout).toMatch(/^registered as c-\S+ \(run cli-client-\d+, K 32\)$/m);
      expect(run.stdout).toMatch(/^round 1: uploaded \d pairs, mean local loss \d+\.\d{4}$/m);
      expect(run.stdout).toMatch(/the run is done; the model stands at version 1\n$/);
      expect(await app.store.countClients()).toBe(1);
    }
  });

  it('a wrong join secret fails with the server reason and exit code 1', async () => {
    const model = temp.make('model2');
    await writeTinyModel(model);
    const data = join(temp.make('data2'), 'local.jsonl');
    writeFileSync(data, `${JSON.stringify({ instruction: 'a', context: '', response: 'b', category: 'open_qa' })}\n`);
    const app = await startTestAggregator({ RUN_ID: `cli-client2-${process.pid}` });
    {
      const run = await runCli(
        'client',
        '--aggregator',
        app.server.address,
        '--model',
        model,
        '--data',
        data,
        '--join-secret',
        'not-the-secret',
        '--backend',
        'cpu',
      );
      expect(run.code).toBe(ExitCode.FAILED);
      expect(run.stderr).toContain('RegisterClient failed: UNAUTHENTICATED/ERROR_REASON_BAD_JOIN_SECRET');
    }
  });
});
