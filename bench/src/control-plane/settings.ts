/**
 * The control-plane bench's run: K = 4096, tau = 200, 200 pairs per upload, secrets of its own, and the
 * aggregator's environment (every scenario starts from it).
 */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TOKEN_SECRET = 'bench-token-secret-0123456789abcdef0123456789';
export const JOIN_SECRET = 'bench-join-secret-0123456789';
export const K = 4096;
export const TAU = 200;

/** The aggregator's environment for run `runId`, with `overrides`. */
export function aggregatorEnv(runId: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_ID: runId,
    RUN_SEED: '0x5eed',
    FEDKSEED_TOKEN_SECRET: TOKEN_SECRET,
    FEDKSEED_JOIN_SECRET: JOIN_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    NUM_CANDIDATE_SEEDS: String(K),
    NUM_LOCAL_STEPS: String(TAU),
    CLIENT_FRACTION: '1',
    QUORUM_FRACTION: '1',
    ROUND_DEADLINE_MS: '600000',
    ROUND_POLL_MS: '1000',
    CLOSE_LEASE_MS: '60000',
    NUM_ROUNDS: '0',
    DRAIN_GRACE_MS: '2000',
    // One generator process registers every client from one address, where devices would come from many: the
    // per-address RegisterClient limit is off. The per-client limits stay at their defaults.
    REGISTRATION_RATE_LIMIT_PER_S: '0',
    ...overrides,
  };
}
