/**
 * tfjs-backend-wasm with its XNNPACK thread pool under Node.
 *
 * The package ships a threaded SIMD build but never uses it in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * false there, tensorflow/tfjs#3830), so matrix products run on one core. Three things stand in the way, and
 * this module works around each during the backend's initialization only, restoring every global it touches
 * right after:
 * 1. The pthread workers are started from `blob:` URLs, which Node's worker_threads refuse. Blobs created during
 *    the initialization are recorded, and `URL.createObjectURL` hands out a file path instead: the worker script
 *    and the module script are written to a private temporary folder, deleted once the start is over.
 * 2. The worker loads the module script from a Blob posted to it; its script is rewritten to load the file.
 *    The module script is a function cut out of the package's bundle, so the bundle's own imports (fs, path,
 *    perf_hooks, os) are declared in front of it.
 * 3. The backend sizes its pool as (logical cores / 2), assuming two hyper-threads per core: on a 2-core
 *    machine that is one thread. `os.cpus()` reports twice the wanted thread count while the module starts.
 * The pool's workers are unref'ed, so they never keep the process alive, and the pre-started workers the pool
 * does not use are terminated. A worker that ends while the module starts (the module would wait for it forever)
 * fails the threaded start at once.
 *
 * How many threads to ask for is wasm-thread-count.ts's choice. Checked against @tensorflow/tfjs-backend-wasm 4.22; another version, a failed rewrite or a failed threaded
 * start falls back to the single-threaded build, with the reason. Matrix products are unchanged by the thread
 * count (XNNPACK splits the output, not the sums), and the golden tests run with it.
 */
import * as fs from 'node:fs';
import type * as NodeOs from 'node:os';
import type { Worker as NodeWorker } from 'node:worker_threads';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

// The os and worker_threads modules themselves (not an import's namespace copy): the backend's bundle calls
// os.cpus() and takes worker_threads.Worker.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const os = require('node:os') as typeof NodeOs;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerThreads = require('node:worker_threads') as { Worker: typeof NodeWorker };

const TESTED_VERSION = /^4\.22\./;
const MODULE_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** In the worker script: load the module script from a string URL, else from a posted Blob. */
const WORKER_LOAD_BRANCH = 'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}';
/** The bundle-level imports the module function refers to (tf-backend-wasm.node.js). */
const BUNDLE_IMPORTS =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
  "require$$4 = require('os'), commonjsGlobal = globalThis;\n";

export interface WasmThreading {
  /** Threads in the backend's pool (1: single-threaded). */
  threads: number;
  /** Why fewer threads than asked for, if so. */
  note?: string;
  /** True when the backend had started earlier in this process (with the threads of that start). */
  earlier?: boolean;
}

interface EmscriptenWorker {
  unref(): void;
  terminate(): Promise<number>;
}

interface WasmModule {
  PThread?: { unusedWorkers: EmscriptenWorker[]; runningWorkers: EmscriptenWorker[] };
}

function wasmPackageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
}

/** How the wasm backend of this tfjs-core instance started, once it has. */
let started: WasmThreading | undefined;

/**
 * Activates the wasm backend (registered by importing @tensorflow/tfjs-backend-wasm) with up to `threads`. The
 * backend starts once: later calls switch back to it and report how it started.
 */
export async function setWasmBackend(threads: number): Promise<WasmThreading> {
  if (started && tf.findBackend('wasm')) {
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
    return { ...started, earlier: true };
  }
  started = await startWasmBackend(threads);
  return started;
}

async function startWasmBackend(threads: number): Promise<WasmThreading> {
  if (threads > 1) {
    const version = wasmPackageVersion();
    if (!TESTED_VERSION.test(version)) return singleThreaded(`tfjs-backend-wasm ${version} is not the tested 4.22`);
    let failure: string | undefined;
    try {
      if (await setBackendWithThreadShims(threads)) return { threads: threadsInUse() };
      failure = 'the threaded module did not start';
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    return singleThreaded(failure);
  }
  return singleThreaded();
}

async function singleThreaded(note?: string): Promise<WasmThreading> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
  return { threads: 1, ...(note ? { note } : {}) };
}

function threadsInUse(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number };
  const pool = (tf.backend() as unknown as { wasm: WasmModule }).wasm.PThread;
  for (const w of pool?.runningWorkers ?? []) w.unref();
  // The module pre-starts 8 workers (a V8 isolate each, ~10 MB) whatever the pool uses; its pool is made once,
  // at initialization, so the idle ones are let go.
  for (const w of pool?.unusedWorkers.splice(0) ?? []) {
    w.unref();
    void w.terminate();
  }
  return wasm.getThreadsCount();
}

async function setBackendWithThreadShims(threads: number): Promise<boolean> {
  // Every worker reads both scripts during the start; the folder goes when the start is over.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedkseed-tfjs-wasm-'));
  const moduleScript = path.join(dir, 'module.js');
  const workerScript = path.join(dir, 'worker.js');
  const texts = new WeakMap<Blob, string>();

  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof OriginalBlob>) {
      super(...args);
      const parts = args[0];
      if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string')) return;
      const text = parts.join('');
      texts.set(this, text);
      if (text.startsWith(MODULE_SCRIPT_PREFIX)) writeFileOnce(moduleScript, BUNDLE_IMPORTS + text);
    }
  }
  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    if (text === undefined || !text.includes(WORKER_LOAD_BRANCH)) return originalCreateObjectURL(blob);
    // Asked once per pre-started worker, while the earlier workers are already reading the file.
    writeFileOnce(
      workerScript,
      text.replace(WORKER_LOAD_BRANCH, `if(true){importScripts(${JSON.stringify(moduleScript)})}`),
    );
    return workerScript;
  };
  const cpus = originalCpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  const watch = watchPoolWorkers();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  try {
    const started = await Promise.race([tf.setBackend('wasm'), watch.firstEnd]);
    if (typeof started === 'string') {
      // The module would wait for that worker forever (and Node, once nothing else holds it, exits quietly).
      watch.terminateAll();
      throw new Error(started);
    }
    return started;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    watch.stop();
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
    os.cpus = originalCpus;
  }
}

/**
 * Records the worker threads the module starts until stop(); firstEnd resolves with a reason when one of them
 * ends before then. The module takes its Worker class from worker_threads when it starts.
 */
function watchPoolWorkers(): { firstEnd: Promise<string>; stop(): void; terminateAll(): void } {
  const OriginalWorker = workerThreads.Worker;
  const workers: NodeWorker[] = [];
  let watching = true;
  let reportEnd: (reason: string) => void = () => {};
  const firstEnd = new Promise<string>((resolve) => (reportEnd = resolve));
  class WatchedWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      if (!watching) return;
      workers.push(this);
      this.once('exit', (code) => {
        if (watching) reportEnd(`a pool worker ended while the threaded module started (exit code ${code})`);
      });
    }
  }
  workerThreads.Worker = WatchedWorker;
  return {
    firstEnd,
    stop() {
      watching = false;
      workerThreads.Worker = OriginalWorker;
    },
    terminateAll() {
      for (const w of workers) void w.terminate();
    },
  };
}

/**
 * Writes `text` to `file` unless the file is already there, and never leaves a partial file where a reader can
 * see it (a temporary file renamed into place). A worker thread reads its script on its own thread, so
 * rewriting the file in place for the next worker could hand the earlier one an empty script: that worker
 * then ends at once, and the module waits for it forever.
 */
export function writeFileOnce(file: string, text: string): void {
  if (fs.existsSync(file)) return;
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
}
