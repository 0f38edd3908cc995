/**
 * One train job of a queue-fed client: step it (FedKSeedClient.step, limited to the job's round) until it has
 * trained the round, or the round can no longer be trained by it. Only a failure throws; the other ends are
 * outcomes, since retrying them would change nothing.
 */
import { ErrorReason } from '@fedkseed/proto';
import { isFedKSeedCallError, type FedKSeedClient } from '@fedkseed/sdk';

export type TrainJobOutcome =
  /** Trained and uploaded (`duplicate`: this upload was already counted, e.g. by an earlier attempt). */
  | { status: 'trained'; round: number; numPairs: number; duplicate: boolean }
  /**
   * Nothing to train: 'not-selected' (the round is the current one but has no task for the client: not
   * selected, already uploaded by an earlier attempt, or no longer collecting), 'round-over' (the run is past
   * the round), 'round-closed' (the upload came after the round closed), 'already-uploaded' (another attempt
   * running at the same time uploaded other pairs first: with catch-up sync they may differ in their last bits),
   * 'run-done' (the run is finished).
   */
  | {
      status: 'skipped';
      reason: 'not-selected' | 'round-over' | 'round-closed' | 'already-uploaded' | 'run-done';
      currentRound?: number;
    };

/** Shortest wait before asking again while the job's round is not open yet (ms). */
const MIN_WAIT_MS = 50;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Steps `client` (registered) until it trained API round `round` or cannot; see TrainJobOutcome. */
export async function trainJobRound<B>(
  client: FedKSeedClient<B>,
  round: number,
  signal: AbortSignal,
): Promise<TrainJobOutcome> {
  for (;;) {
    let outcome;
    try {
      outcome = await client.step(signal, { round });
    } catch (e) {
      if (isFedKSeedCallError(e, ErrorReason.ERROR_REASON_ROUND_CLOSED))
        return { status: 'skipped', reason: 'round-closed', currentRound: round };
      if (isFedKSeedCallError(e, ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION))
        return { status: 'skipped', reason: 'already-uploaded', currentRound: round };
      throw e;
    }
    if (outcome.status === 'trained')
      return {
        status: 'trained',
        round: outcome.round,
        numPairs: outcome.response.acceptedPairCount,
        duplicate: outcome.response.duplicate,
      };
    if (outcome.status === 'done') return { status: 'skipped', reason: 'run-done' };
    const current = outcome.round;
    if (current !== undefined && current > round)
      return { status: 'skipped', reason: 'round-over', currentRound: current };
    if (current === round) return { status: 'skipped', reason: 'not-selected', currentRound: current };
    // The round is not open yet where this call landed (another replica behind the one that enqueued), or a
    // rebuild raced a round change: ask again.
    await sleep(Math.max(outcome.retryAfterMs, MIN_WAIT_MS), signal);
  }
}
