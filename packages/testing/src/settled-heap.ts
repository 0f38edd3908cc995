/**
 * The heap in use after full garbage collections, for tests that bound how much memory a workload leaves behind.
 * Jest runs without `--expose-gc`; V8's flag set at run time makes `gc` available in a new context (as jest's own
 * leak detector does).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collectGarbage: (() => void) | undefined;

/** process.memoryUsage().heapUsed after pending callbacks have run and the heap has been collected (bytes). */
export async function settledHeapUsedBytes(): Promise<number> {
  collectGarbage ??= exposedGc();
  for (let pass = 0; pass < 3; pass++) {
    await nextTurn();
    collectGarbage();
  }
  return process.memoryUsage().heapUsed;
}

function exposedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
