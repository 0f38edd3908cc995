/**
 * tfjs-backend-wasm with its thread pool under Node (src/wasm-threads.ts): in child processes, because a
 * backend is set up once per process. More than one thread gives bit-identical products, the pool really has
 * the threads asked for, and the workers never keep the process alive. (How many threads a process asks for:
 * wasm-thread-count.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CHILD = path.join(__dirname, 'helpers', 'wasm-threads-child.cjs');

function runChild(threads: string, ...args: string[]): { threads: number; note?: string; sha256: string } {
  const r = spawnSync(process.execPath, [CHILD, ...args], {
    env: { ...process.env, FEDKSEED_WASM_THREADS: threads },
    encoding: 'utf8',
    timeout: 60_000,
  });
  // A pool worker that kept the process alive would end in the timeout (signal SIGTERM, status null).
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('wasm backend threads', () => {
  // The single-threaded child, the reference of both comparisons below.
  let one: ReturnType<typeof runChild>;
  beforeAll(() => {
    one = runChild('1');
  }, 120_000);

  it('gives the products of the single-threaded build, bit for bit, and lets the process exit', () => {
    const two = runChild('2');
    expect(one.threads).toBe(1);
    expect(two).toEqual({ threads: 2, sha256: one.sha256 });
  }, 120_000);

  it('falls back to one thread, saying why, when a pool worker ends during the start', () => {
    const broken = runChild('2', '--empty-worker-script');
    expect(broken).toEqual({
      threads: 1,
      note: expect.stringMatching(/^a pool worker ended while the threaded module started \(exit code 0\)$/),
      sha256: one.sha256,
    });
  }, 120_000);
});
