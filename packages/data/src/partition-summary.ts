/** A human-readable summary of a federated split: clients, sizes and per-category histograms. */
import type { Example } from './example';

export interface PartitionSummary {
  numClients: number;
  numTrainExamples: number;
  numEvalExamples: number;
  clientSizes: { min: number; median: number; max: number; mean: number };
  /** Training examples per category over all clients. */
  trainCategories: Record<string, number>;
  evalCategories: Record<string, number>;
  /** Per client: size and examples per category. */
  clients: { size: number; categories: Record<string, number> }[];
}

function histogram(examples: readonly Example[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const e of examples) {
    const c = e.category ?? '(none)';
    h[c] = (h[c] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function summarizePartition(clients: readonly Example[][], evalSet: readonly Example[]): PartitionSummary {
  const sizes = clients.map((c) => c.length).sort((a, b) => a - b);
  const total = sizes.reduce((a, b) => a + b, 0);
  return {
    numClients: clients.length,
    numTrainExamples: total,
    numEvalExamples: evalSet.length,
    clientSizes: {
      min: sizes[0] ?? 0,
      median: sizes.length ? sizes[Math.floor((sizes.length - 1) / 2)] : 0,
      max: sizes[sizes.length - 1] ?? 0,
      mean: sizes.length ? total / sizes.length : 0,
    },
    trainCategories: histogram(clients.flat()),
    evalCategories: histogram(evalSet),
    clients: clients.map((c) => ({ size: c.length, categories: histogram(c) })),
  };
}

/** The summary as text: totals, size spread, category histograms and the first `maxClients` clients. */
export function formatPartitionSummary(s: PartitionSummary, maxClients = 10): string {
  const bar = (n: number, max: number) => '#'.repeat(Math.max(1, Math.round((30 * n) / Math.max(1, max))));
  const hist = (h: Record<string, number>) => {
    const max = Math.max(0, ...Object.values(h));
    const width = Math.max(0, ...Object.keys(h).map((k) => k.length));
    return Object.entries(h).map(([k, n]) => `  ${k.padEnd(width)}  ${String(n).padStart(6)}  ${bar(n, max)}`);
  };
  const lines = [
    `clients: ${s.numClients}   training examples: ${s.numTrainExamples}   evaluation examples: ${s.numEvalExamples}`,
    `client size: min ${s.clientSizes.min}, median ${s.clientSizes.median}, mean ${s.clientSizes.mean.toFixed(1)}, max ${s.clientSizes.max}`,
    'training categories:',
    ...hist(s.trainCategories),
    'evaluation categories:',
    ...hist(s.evalCategories),
    `first ${Math.min(maxClients, s.clients.length)} clients (size: categories):`,
    ...s.clients.slice(0, maxClients).map(
      (c, i) =>
        `  ${String(i).padStart(4)}  ${String(c.size).padStart(5)}: ${Object.entries(c.categories)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
    ),
  ];
  return lines.join('\n');
}
