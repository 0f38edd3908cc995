/**
 * How long a fuzz test runs and from which seed. CI runs DEFAULT_FUZZ_ITERATIONS calls per RPC from
 * DEFAULT_FUZZ_SEED; FEDKSEED_FUZZ_ITERATIONS asks for more (longer local runs) and FEDKSEED_FUZZ_SEED for other
 * inputs. A failure names its seed and iteration, so setting the seed replays it.
 */

/** Calls per RPC when FEDKSEED_FUZZ_ITERATIONS is not set, and the fewest it may ask for. */
export const DEFAULT_FUZZ_ITERATIONS = 2000;

/** The seed when FEDKSEED_FUZZ_SEED is not set: CI fuzzes the same inputs on every run. */
export const DEFAULT_FUZZ_SEED = 1;

export interface FuzzSettings {
  /** Calls per RPC. */
  iterations: number;
  /** SeededRandom seed of every input (uint53). */
  seed: number;
}

/** The settings from the environment; throws when a variable is set to something unusable. */
export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const iterations = readInt(env, 'FEDKSEED_FUZZ_ITERATIONS', DEFAULT_FUZZ_ITERATIONS, DEFAULT_FUZZ_ITERATIONS);
  const seed = readInt(env, 'FEDKSEED_FUZZ_SEED', DEFAULT_FUZZ_SEED, 0);
  return { iterations, seed };
}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}
