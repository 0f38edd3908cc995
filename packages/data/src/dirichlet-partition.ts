/**
 * Label-Dirichlet partition (Yurochkin et al. 2019; Wang et al. 2020), the non-IID split of the official
 * FedKSeed Dolly experiments: for every class, client shares are drawn from Dir(alpha); clients that already
 * hold their fair share N / numClients get no more; the whole partition is redrawn until every client has at
 * least `minPerClient` samples. Smaller alpha gives more skewed clients.
 */
import { SeededRandom } from '@fedkseed/zo';

export interface DirichletPartitionOptions {
  numClients: number;
  /** Concentration; smaller is more skewed. */
  alpha: number;
  /** Redraw until every client has at least this many samples. */
  minPerClient: number;
  seed: bigint | number;
  /** Give up after this many redraws. @default 1000 */
  maxAttempts?: number;
}

/** Splits sample indices 0..labels.length-1 over clients; every index lands in exactly one client. */
export function dirichletPartition(labels: readonly number[], opts: DirichletPartitionOptions): number[][] {
  const { numClients, alpha, minPerClient } = opts;
  const n = labels.length;
  if (!Number.isInteger(numClients) || numClients < 1)
    throw new RangeError(`numClients must be a positive integer, got ${numClients}`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`alpha must be a positive number, got ${alpha}`);
  if (!Number.isInteger(minPerClient) || minPerClient < 0)
    throw new RangeError(`minPerClient must be a non-negative integer`);
  if (n < numClients * minPerClient) {
    throw new RangeError(
      `cannot give ${numClients} clients at least ${minPerClient} samples each from ${n} samples; lower numClients or minPerClient`,
    );
  }
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const byClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  labels.forEach((y, i) => byClass.get(y)!.push(i));
  const rng = new SeededRandom(opts.seed);
  const fairShare = n / numClients;
  const maxAttempts = opts.maxAttempts ?? 1000;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const clients: number[][] = Array.from({ length: numClients }, () => []);
    for (const c of classes) {
      const idx = rng.shuffle([...byClass.get(c)!]);
      const raw = rng.dirichlet(alpha, numClients);
      const shares = raw.map((p, j) => (clients[j].length < fairShare ? p : 0));
      let total = shares.reduce((a, b) => a + b, 0);
      if (!(total > 0)) {
        shares.set(raw);
        total = 1;
      }
      let acc = 0;
      let start = 0;
      for (let j = 0; j < numClients; j++) {
        acc += shares[j] / total;
        const end = j === numClients - 1 ? idx.length : Math.min(idx.length, Math.floor(acc * idx.length));
        for (let t = start; t < end; t++) clients[j].push(idx[t]);
        start = Math.max(start, end);
      }
    }
    if (Math.min(...clients.map((c) => c.length)) >= minPerClient) return clients.map((c) => rng.shuffle(c));
  }
  throw new Error(
    `no Dirichlet partition with at least ${minPerClient} samples per client after ${maxAttempts} attempts ` +
      `(${n} samples, ${numClients} clients, alpha ${alpha}); raise alpha or lower numClients`,
  );
}
