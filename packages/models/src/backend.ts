/**
 * TensorFlow.js backend selection, best first: tfjs-node-gpu (CUDA), tfjs-node (libtensorflow on CPU), wasm
 * (SIMD, no native install), cpu (pure JS). The two node backends are optional dependencies: they download
 * libtensorflow at install time, which not every machine can do, so each is tried and skipped with a reason.
 */
import * as tf from '@tensorflow/tfjs-core';

import { useInPlaceWasmSlice } from './wasm-slice-kernel';
import { chooseWasmThreadsHere } from './wasm-thread-count';
import { setWasmBackend } from './wasm-threads';

export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
];

export interface BackendSelection {
  /** The tfjs backend name now active: 'tensorflow' (both node packages register this name), 'wasm' or 'cpu'. */
  backend: string;
  /** Which candidate was chosen. */
  chosen: Exclude<BackendPreference, 'auto'>;
  /** Why each better candidate was not used. */
  skipped: { candidate: Exclude<BackendPreference, 'auto'>; reason: string }[];
  /** On wasm: the threads its pool runs (fixed by the first start in the process). */
  wasmThreads?: number;
}

export interface SelectBackendOptions {
  /**
   * Trainable parameters of the model this process will run (`countParameters(config)`): on wasm it decides the
   * thread count (wasm-thread-count.ts); without it wasm runs one thread unless FEDKSEED_WASM_THREADS says more.
   */
  numParameters?: number;
}

type Candidate = Exclude<BackendPreference, 'auto'>;

const ORDER: Candidate[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Loads the package behind a candidate and returns the tfjs backend name it registers. */
async function activate(candidate: Candidate): Promise<string> {
  switch (candidate) {
    case 'tensorflow-gpu':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node-gpu');
      return 'tensorflow';
    case 'tensorflow':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
      return 'tensorflow';
    case 'wasm':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
      return 'wasm';
    case 'cpu':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-cpu');
      return 'cpu';
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
}

export function parseBackendPreference(value: string | undefined): BackendPreference {
  const v = (value ?? 'auto').trim() || 'auto';
  if (!(BACKEND_PREFERENCES as readonly string[]).includes(v)) {
    throw new RangeError(`unknown backend "${v}" (FEDKSEED_BACKEND): use one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  return v as BackendPreference;
}

/**
 * Activates the best available backend at or below `pref` (default: FEDKSEED_BACKEND, else 'auto'). An explicit
 * preference that cannot load is an error; 'auto' falls through the list. `log` gets one line naming the
 * backend chosen (on wasm, its threads and why) and why the better ones were not. Pass the model's size so wasm
 * picks its thread count for it; the wasm backend starts once per process, so the first start's count stays.
 */
export async function selectBackend(
  pref: BackendPreference = parseBackendPreference(process.env.FEDKSEED_BACKEND),
  log: (line: string) => void = () => {},
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const candidates = pref === 'auto' ? ORDER : [pref];
  const skipped: BackendSelection['skipped'] = [];
  for (const candidate of candidates) {
    try {
      const name = await activate(candidate);
      let detail = '';
      let wasmThreads: number | undefined;
      if (name === 'wasm') {
        const choice = chooseWasmThreadsHere(options.numParameters);
        const threading = await setWasmBackend(choice.threads);
        useInPlaceWasmSlice();
        wasmThreads = threading.threads;
        const why = threading.earlier ? 'started earlier in this process' : (threading.note ?? choice.reason);
        detail = `, ${threading.threads} thread${threading.threads === 1 ? '' : 's'}: ${why}`;
      } else if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
      await tf.ready();
      if (name === 'cpu') {
        // The cpu backend prints a multi-line "install tfjs-node" banner on its first tensor; this function
        // already reports the choice and why the faster backends were skipped, in one line.
        (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      }
      const why = skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ');
      log(`tfjs backend: ${candidate} (${tf.getBackend()}${detail})${why ? `; skipped ${why}` : ''}`);
      return { backend: tf.getBackend(), chosen: candidate, skipped, ...(wasmThreads && { wasmThreads }) };
    } catch (err) {
      skipped.push({ candidate, reason: firstLine(err) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`,
  );
}
