/**
 * The data a worker's population is made of: a Dolly-format JSON Lines file (instruction, context, response,
 * category) split as in the paper's Dolly experiments: one category held out, the rest over the clients by a
 * label-Dirichlet partition with a fixed seed. Every worker of a run must load the same split.
 */
import { loadDolly, type Example } from '@fedkseed/data';

export interface DollySplitSpec {
  /** Dolly-format JSON Lines file (databricks-dolly-15k.jsonl or one of the same fields). */
  file: string;
  /** Clients the training examples are split over. */
  numClients: number;
  /** Dirichlet concentration of the label skew. */
  dirichletAlpha: number;
  /** The category held out (never trained on). */
  heldOutCategory: string;
  /** Fewest examples per client. */
  minPerClient: number;
  /** Seed of the partition. */
  dataSeed: number;
}

/** The clients' examples, in shard order. */
export async function loadPopulationData(spec: DollySplitSpec): Promise<Example[][]> {
  const { clients } = await loadDolly(spec.file, {
    numClients: spec.numClients,
    alpha: spec.dirichletAlpha,
    heldOutCategory: spec.heldOutCategory,
    minPerClient: spec.minPerClient,
    seed: spec.dataSeed,
  });
  return clients;
}
