/**
 * How many XNNPACK threads the wasm backend starts with (wasm-threads.ts starts them; the count is fixed for the
 * life of the process). More threads pay off only when each product is large enough to split and the cores are
 * free. Measured (bench/wasm-threads-bench.cjs, bench/RESULTS.md): on an idle 2-core machine 2 threads made a
 * 17M-parameter model's ZO step about 2x faster, while small products (a 0.6M-parameter model's whole forward)
 * got slower; on a busy one the threaded step ran at 0.2-0.8x the one-thread step at every size up to 35M (the
 * pool's threads meet at every product, and with a core taken one of them is always late).
 *
 * So, unless FEDKSEED_WASM_THREADS names a count: one thread below `WASM_THREADED_MIN_PARAMETERS` or when the
 * model's size is not given, else one per core left idle at start (cores minus the 1-minute load average,
 * rounded; at least one, at most 8).
 */
import * as os from 'node:os';

/** The backend pre-starts 8 pool workers and never uses more. */
export const MAX_WASM_THREADS = 8;

/** Models with fewer parameters run their ZO step on one wasm thread (see the module comment). */
export const WASM_THREADED_MIN_PARAMETERS = 4_000_000;

export interface WasmThreadInputs {
  /** FEDKSEED_WASM_THREADS: a positive count, or 'auto' / empty / absent for the rule. */
  env?: string;
  /** The trainable parameters of the model the process will run, when known. */
  numParameters?: number;
  /** Logical cores. */
  cores: number;
  /** The 1-minute load average at start (other processes wanting the cores). */
  loadAverage: number;
}

export interface WasmThreadChoice {
  threads: number;
  /** Why, for the backend's log line. */
  reason: string;
}

const millions = (n: number) => `${(n / 1e6).toPrecision(2)}M`;

export function chooseWasmThreads(inputs: WasmThreadInputs): WasmThreadChoice {
  const { env, numParameters, cores, loadAverage } = inputs;
  if (env !== undefined && env.trim() !== '' && env.trim() !== 'auto') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`FEDKSEED_WASM_THREADS must be 'auto' or a positive integer, got "${env}"`);
    return { threads: Math.min(MAX_WASM_THREADS, n), reason: `FEDKSEED_WASM_THREADS=${n}` };
  }
  if (numParameters === undefined) return { threads: 1, reason: 'model size not given' };
  if (!Number.isFinite(numParameters) || numParameters < 0)
    throw new RangeError(`numParameters must be a non-negative number, got ${numParameters}`);
  if (numParameters < WASM_THREADED_MIN_PARAMETERS) {
    return {
      threads: 1,
      reason: `${millions(numParameters)} parameters, under ${millions(WASM_THREADED_MIN_PARAMETERS)}`,
    };
  }
  const idle = Math.max(0, cores - Math.max(0, loadAverage));
  const threads = Math.max(1, Math.min(MAX_WASM_THREADS, cores, Math.round(idle)));
  return {
    threads,
    reason: `${millions(numParameters)} parameters, ${idle.toFixed(1)} of ${cores} cores idle at start`,
  };
}

/** The choice for this process: FEDKSEED_WASM_THREADS, this machine's cores and load average. */
export function chooseWasmThreadsHere(numParameters?: number): WasmThreadChoice {
  return chooseWasmThreads({
    env: process.env.FEDKSEED_WASM_THREADS,
    numParameters,
    cores: os.cpus().length,
    loadAverage: os.loadavg()[0],
  });
}
