/** A cheap read of where a run stands, shared by the lifecycle and the handlers. */
import { isStoreError, type RoundStore } from '@fedkseed/store';

/**
 * The store's current version (closed rounds). `getDeltasSince(hint)` returns it along with the deltas since
 * `hint`, which is nothing when `hint` is recent, so this avoids reading the K float64 of A; a hint ahead of
 * the store (a run that was reset) falls back to 0.
 */
export async function readVersion(store: RoundStore, hint: number): Promise<number> {
  try {
    return (await store.getDeltasSince(hint)).toVersion;
  } catch (e) {
    if (hint === 0 || !isStoreError(e, 'STALE_VERSION')) throw e;
    return (await store.getDeltasSince(0)).toVersion;
  }
}
