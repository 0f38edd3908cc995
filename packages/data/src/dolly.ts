/**
 * Databricks Dolly-15K (databricks-dolly-15k.jsonl: instruction, context, response, category), split as in
 * the official FedKSeed experiments: one category held out as the evaluation set (default summarization, code
 * 7 in alphabetical order), the rest over `numClients` clients by a label-Dirichlet partition.
 */
import { dirichletPartition } from './dirichlet-partition';
import { DataFormatError, type Example } from './example';
import { readJsonLines } from './json-lines';

export interface DollyOptions {
  /** Category whose examples form the evaluation set. @default 'summarization' */
  heldOutCategory?: string;
  /** @default 200 */
  numClients?: number;
  /** Dirichlet concentration. @default 0.5 */
  alpha?: number;
  /** @default 10 */
  minPerClient?: number;
  /** @default 42 */
  seed?: number | bigint;
}

export interface FederatedDataset {
  clients: Example[][];
  evalSet: Example[];
}

function requireString(record: Record<string, unknown>, field: string, file: string, line: number): string {
  const v = record[field];
  if (typeof v !== 'string')
    throw new DataFormatError(
      `field "${field}" must be a string, got ${v === undefined ? 'nothing' : typeof v}`,
      file,
      line,
    );
  return v;
}

/** Reads and validates every line first: a bad line fails the whole load, nothing partial is returned. */
export async function readDolly(file: string): Promise<Example[]> {
  const examples: Example[] = [];
  for await (const { value, line } of readJsonLines(file)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new DataFormatError('each line must be a JSON object', file, line);
    const r = value as Record<string, unknown>;
    examples.push({
      instruction: requireString(r, 'instruction', file, line),
      input: requireString(r, 'context', file, line),
      output: requireString(r, 'response', file, line),
      category: requireString(r, 'category', file, line),
    });
  }
  if (examples.length === 0) throw new DataFormatError('no examples', file);
  return examples;
}

export async function loadDolly(path: string, opts: DollyOptions = {}): Promise<FederatedDataset> {
  const heldOut = opts.heldOutCategory ?? 'summarization';
  const examples = await readDolly(path);
  const categories = [...new Set(examples.map((e) => e.category!))].sort();
  if (!categories.includes(heldOut)) {
    throw new DataFormatError(
      `held-out category "${heldOut}" does not occur; categories: ${categories.join(', ')}`,
      path,
    );
  }
  const code = new Map(categories.map((c, i) => [c, i]));
  const train = examples.filter((e) => e.category !== heldOut);
  const evalSet = examples.filter((e) => e.category === heldOut);
  const parts = dirichletPartition(
    train.map((e) => code.get(e.category!)!),
    {
      numClients: opts.numClients ?? 200,
      alpha: opts.alpha ?? 0.5,
      minPerClient: opts.minPerClient ?? 10,
      seed: opts.seed ?? 42,
    },
  );
  return { clients: parts.map((idx) => idx.map((i) => train[i])), evalSet };
}
