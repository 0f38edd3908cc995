/**
 * `fedkseed data inspect <path>`: loads a Dolly file or a Natural Instructions folder with the given split
 * options and describes the federation it makes.
 */
import { stat } from 'node:fs/promises';

import { loadDolly, type DollyOptions } from './dolly';
import { loadNaturalInstructions, type NaturalInstructionsOptions } from './natural-instructions';
import { formatPartitionSummary, summarizePartition, type PartitionSummary } from './partition-summary';

export interface InspectOptions {
  dolly?: DollyOptions;
  naturalInstructions?: NaturalInstructionsOptions;
  /** Clients listed one by one in the text. @default 10 */
  maxClients?: number;
}

export interface DatasetInspection {
  format: 'dolly' | 'natural-instructions';
  summary: PartitionSummary;
  text: string;
}

/** A directory is read as Natural Instructions, a file as Dolly JSON Lines. */
export async function inspectDataset(path: string, opts: InspectOptions = {}): Promise<DatasetInspection> {
  const isDir = (await stat(path)).isDirectory();
  const { clients, evalSet } = isDir
    ? await loadNaturalInstructions(path, opts.naturalInstructions)
    : await loadDolly(path, opts.dolly);
  const summary = summarizePartition(clients, evalSet);
  const format = isDir ? 'natural-instructions' : 'dolly';
  return { format, summary, text: `${path} (${format})\n${formatPartitionSummary(summary, opts.maxClients ?? 10)}` };
}
