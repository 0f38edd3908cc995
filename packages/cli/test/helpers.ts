/** Test plumbing for the CLI: run `main` in-process capturing its output, and tiny models on disk. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, startAggregatorApp, type AggregatorApp } from '@fedkseed/aggregator';
import { silentLogger } from '@fedkseed/process-kit';

import { main } from '../src';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fedkseed ...args` in this process; stdout and stderr are captured, not printed. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'fedkseed', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Temporary folders deleted after the test file. */
export function tempDirs(): { make: (prefix: string) => string } {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return {
    make: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), `fedkseed-cli-${prefix}-`));
      made.push(dir);
      return dir;
    },
  };
}

export { writeTinyModel } from '@fedkseed/testing';

/** An aggregator on loopback (in-memory store) for client tests; drained after the test file. */
export async function startTestAggregator(env: Record<string, string>): Promise<AggregatorApp> {
  const app = await startAggregatorApp(
    loadConfig({
      FEDKSEED_TOKEN_SECRET: 'cli-test-token-secret-0123456789abcdef',
      FEDKSEED_JOIN_SECRET: TEST_JOIN_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      RUN_SEED: '3',
      ROUND_POLL_MS: '20',
      TASK_RETRY_AFTER_MS: '20',
      ...env,
    }),
    { logger: silentLogger('aggregator') },
  );
  apps.push(app);
  return app;
}

export const TEST_JOIN_SECRET = 'cli-test-join-secret';
const apps: AggregatorApp[] = [];
afterAll(async () => {
  for (const app of apps.splice(0)) await app.drain();
});
