/**
 * Candidate seed keys: seed index i of a run names the Philox key from which every party regenerates
 * the perturbation direction z_i (DESIGN.md section 3; docs/perturbation-spec.md section 2).
 */
import { philoxInto } from './philox';

/** Domain separator in counter word 2: ASCII "SEED", so key derivation never collides with noise. */
export const SEED_KEY_DOMAIN = 0x53454544;
const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * The 64-bit Philox key of candidate seed `seedIndex` in the run whose seed is `runSeed`:
 * words 0 and 1 of `philox4x32_10([seedIndex, 0, SEED_KEY_DOMAIN, 0], [runSeed lo32, runSeed hi32])`.
 */
export function seedKey(runSeed: bigint, seedIndex: number): Uint32Array {
  if (typeof runSeed !== 'bigint' || runSeed < 0n || runSeed > MAX_UINT64) {
    throw new RangeError(`seedKey: runSeed must be a uint64 bigint, got ${String(runSeed)}`);
  }
  if (!Number.isInteger(seedIndex) || seedIndex < 0 || seedIndex > 0xffffffff) {
    throw new RangeError(`seedKey: seedIndex must be an integer in [0, 2^32), got ${seedIndex}`);
  }
  const out = new Uint32Array(4);
  const lo = Number(runSeed & 0xffffffffn);
  const hi = Number(runSeed >> 32n);
  philoxInto(seedIndex, 0, SEED_KEY_DOMAIN, 0, lo, hi, out, 0);
  return out.slice(0, 2);
}

/** Keys for seed indices 0..numCandidateSeeds-1, derived once per run. */
export function candidateSeedKeys(runSeed: bigint, numCandidateSeeds: number): Uint32Array[] {
  const keys: Uint32Array[] = [];
  for (let i = 0; i < numCandidateSeeds; i++) keys.push(seedKey(runSeed, i));
  return keys;
}
