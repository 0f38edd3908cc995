/**
 * Round numbers in one place. The store numbers a round by the version of A it trains from (round r opens
 * at version r and closes into version r + 1, so the first is 0); the API counts rounds from 1 (0 meaning
 * "none yet"). So API round = store round + 1, and API round r trains from model version r - 1. Everything
 * that crosses the gRPC boundary (requests, responses, error metadata, logs) uses API rounds.
 */

/** The API number (from 1) of the store's round `storeRound` (from 0). */
export function apiRound(storeRound: number): number {
  return storeRound + 1;
}

/** The store's number of API round `round` (>= 1). */
export function storeRound(round: number): number {
  return round - 1;
}
