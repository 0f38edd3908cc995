/**
 * The seeds a round's local steps draw with, derived so that every party computes them from shared values
 * (docs/derivations.md, sections 2 to 4): the round's uint64 sampling seed from the run seed and the round,
 * each client's from the round's and its id, and the seed index of each of a client's tau local steps from
 * the client's, drawn by `SeedSampler` uniformly (FedKSeed) or from the round's probabilities (FedKSeed-Pro,
 * where the server draws them and sends them as the task's assigned seeds).
 */
import { SeedSampler } from './seed-sampler';
import { sha256Utf8 } from './sha256';

/** Domain tag of the round sampling seed (docs/derivations.md, section 2). */
export const ROUND_SAMPLING_DOMAIN = 'fedkseed-round-sampling';
/** Domain tag of a client's sampling seed (docs/derivations.md, section 3). */
export const CLIENT_SAMPLING_DOMAIN = 'fedkseed-client-sampling';

/**
 * The uint64 sampling seed of round `round` (0, 1, ...: the version of A it trains from, the API's round
 * number minus 1): bytes 0..7 of SHA-256("fedkseed-round-sampling\0" runSeed "\0" round), little-endian.
 */
export function roundSamplingSeed(runSeed: bigint, round: number): bigint {
  return sha256Utf8(`${ROUND_SAMPLING_DOMAIN}\0${runSeed}\0${round}`).readBigUInt64LE(0);
}

/**
 * The uint64 key of one client's sampler in a round (SeedDistribution.sampling_seed of its task): bytes 0..7
 * of SHA-256("fedkseed-client-sampling\0" roundSamplingSeed "\0" clientId), little-endian.
 */
export function clientSamplingSeed(roundSeed: bigint, clientId: string): bigint {
  return sha256Utf8(`${CLIENT_SAMPLING_DOMAIN}\0${roundSeed}\0${clientId}`).readBigUInt64LE(0);
}

export interface AssignedSeedIndicesOptions {
  /** K: indices are drawn from [0, K). */
  numCandidateSeeds: number;
  /** tau: one index per local step. */
  numLocalSteps: number;
  /** The client's sampling seed in the round (`clientSamplingSeed`). */
  samplingSeed: bigint;
  /** The round's distribution over the K seeds (FedKSeed-Pro); uniform when absent. */
  probabilities?: Float64Array;
}

/**
 * The seed index of each of a client's tau local steps: draws 0..tau-1 of `SeedSampler`. FedKSeed-Pro
 * servers send these as the task's assigned seeds; a FedKSeed client draws the same ones itself.
 */
export function assignedSeedIndices(options: AssignedSeedIndicesOptions): number[] {
  const { numCandidateSeeds, samplingSeed, probabilities } = options;
  const sampler = new SeedSampler({ numCandidateSeeds, samplingSeed, probabilities });
  return Array.from({ length: options.numLocalSteps }, () => sampler.next());
}
