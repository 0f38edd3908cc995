/**
 * The device example of the repository README runs as written: the README quotes examples/device.ts verbatim,
 * and that file joins a live aggregator with a base model and a data file and trains until the run is done.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, startAggregatorApp } from '@fedkseed/aggregator';
import { tinyDollyExamples } from '@fedkseed/data';
import { selectBackend } from '@fedkseed/models';
import { silentLogger } from '@fedkseed/process-kit';
import { writeTinyModel } from '@fedkseed/testing';

import { runDevice } from '../examples/device';

const ROOT = join(__dirname, '..', '..', '..');

describe('the README device example', () => {
  it('is quoted verbatim in the README', () => {
    const example = readFileSync(join(__dirname, '..', 'examples', 'device.ts'), 'utf8').trim();
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(example);
  });

  it('trains against a live aggregator until the run is done', async () => {
    await selectBackend('cpu');
    const dir = mkdtempSync(join(tmpdir(), 'fedkseed-device-'));
    // A tiny random LLaMA with the byte-level tokenizer of the model runtime's test fixtures.
    const modelDir = join(dir, 'base-model');
    await writeTinyModel(modelDir, { seed: 5 });
    const dataFile = join(dir, 'my-data.jsonl');
    const rows = tinyDollyExamples()
      .slice(0, 6)
      .map((e) =>
        JSON.stringify({ instruction: e.instruction, context: e.input, response: e.output, category: e.category }),
      );
    writeFileSync(dataFile, `${rows.join('\n')}\n`);
    const app = await startAggregatorApp(
      loadConfig({
        RUN_ID: `readme-${process.pid}`,
        FEDKSEED_TOKEN_SECRET: 'readme-token-secret-0123456789abcdef0123',
        FEDKSEED_JOIN_SECRET: 'readme-join-secret-0123',
        HOST: '127.0.0.1',
        PORT: '0',
        NUM_CANDIDATE_SEEDS: '64',
        NUM_LOCAL_STEPS: '3',
        ZO_LR: '1e-5',
        ZO_EPS: '1e-3',
        RUN_SEED: '1',
        NUM_ROUNDS: '2',
        ROUND_POLL_MS: '20',
        TASK_RETRY_AFTER_MS: '20',
      }),
      { logger: silentLogger('aggregator') },
    );
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const version = await runDevice(app.server.address, 'readme-join-secret-0123', modelDir, dataFile);
      expect(version).toBe(2);
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([
        'round 1: uploaded 3 (seed, scalar) pairs',
        'round 2: uploaded 3 (seed, scalar) pairs',
      ]);
    } finally {
      log.mockRestore();
      await app.drain();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
