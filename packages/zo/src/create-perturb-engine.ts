/**
 * Engine selection: 'reference' is the TypeScript executable spec; 'fast' is the native addon (SIMD and
 * threads, built at install time by node-gyp) and falls back to the reference, with one warning per
 * process, where the addon could not be built or loaded. Both give bit-identical results.
 */
import { loadNativePerturbEngine } from './native-engine';
import type { PerturbEngine, PerturbEngineKind } from './perturb-engine';
import { ReferencePerturbEngine } from './reference-engine';

export interface CreatePerturbEngineOptions {
  /**
   * Told once per process when 'fast' falls back to the reference engine.
   * @default a Node process warning (one line on stderr)
   */
  onFallback?: (message: string) => void;
}

let fallbackReported = false;

export function createPerturbEngine(
  kind: PerturbEngineKind = 'fast',
  options: CreatePerturbEngineOptions = {},
): PerturbEngine {
  if (kind === 'reference') return new ReferencePerturbEngine();
  if (kind !== 'fast')
    throw new RangeError(`createPerturbEngine: unknown engine kind "${String(kind)}" (use 'reference' or 'fast')`);
  const native = loadNativePerturbEngine();
  if (!('error' in native)) return native;
  if (!fallbackReported) {
    fallbackReported = true;
    const message = `fedkseed: native perturbation engine unavailable (${native.error}); using the reference engine (same results, much slower). Rebuild with: npm run build:native -w @fedkseed/zo`;
    if (options.onFallback) options.onFallback(message);
    else process.emitWarning(message, { code: 'FEDKSEED_NO_NATIVE_ENGINE' });
  }
  return new ReferencePerturbEngine();
}

let defaultEngine: PerturbEngine | undefined;

/** The process-wide 'fast' engine used where a caller passes none (created on first use). */
export function defaultPerturbEngine(): PerturbEngine {
  defaultEngine ??= createPerturbEngine('fast');
  return defaultEngine;
}
