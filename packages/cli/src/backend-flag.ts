/** --backend: the TensorFlow.js backend, chosen knowing the model's size (the wasm thread count depends on it). */
import {
  countParameters,
  parseBackendPreference,
  readModelConfig,
  selectBackend,
  type BackendSelection,
} from '@fedkseed/models';

import type { FlagReader } from './flag-reader';

export type BackendPreference = ReturnType<typeof parseBackendPreference>;

export function readBackendFlag(flags: FlagReader): BackendPreference {
  const name = flags.string('backend', 'auto');
  try {
    return parseBackendPreference(name);
  } catch (e) {
    flags.problem(`--backend: ${(e as Error).message}`);
    return 'auto';
  }
}

/** Selects the backend for a model directory (its size read from config.json). */
export async function selectBackendFor(preference: BackendPreference, modelDir: string): Promise<BackendSelection> {
  const numParameters = countParameters(await readModelConfig(modelDir));
  return selectBackend(preference, () => {}, { numParameters });
}
