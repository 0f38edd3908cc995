/** Work items run a bounded number at a time (in-flight RPCs, child processes), results kept in order. */

/** Runs `worker(i)` for i in [0, n) with at most `limit` running at once. */
export async function runPool(n: number, limit: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) await worker(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/** Every item's result, in order, `jobs` at a time; `onResult(i, result)` as each ends. */
export async function fanOut<I, R>(
  items: readonly I[],
  jobs: number,
  run: (item: I, i: number) => Promise<R>,
  onResult: (i: number, result: R) => void = () => {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  await runPool(items.length, Math.max(1, jobs), async (i) => {
    results[i] = await run(items[i], i);
    onResult(i, results[i]);
  });
  return results;
}
