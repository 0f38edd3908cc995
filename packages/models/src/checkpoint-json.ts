/** The JSON files of a checkpoint directory (config, shard index, tokenizer), read with errors that name the file. */
import { readFile } from 'node:fs/promises';

import { CheckpointError } from './safetensors';

/** The parsed object; a missing file is an error unless `optional`, which then gives undefined. */
export async function readCheckpointJson(file: string): Promise<Record<string, unknown>>;
export async function readCheckpointJson(
  file: string,
  opts: { optional: true },
): Promise<Record<string, unknown> | undefined>;
export async function readCheckpointJson(
  file: string,
  opts: { optional?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (opts.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read (${(err as Error).message})`, file, undefined, { cause: err });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CheckpointError(`invalid JSON (${(err as Error).message})`, file, undefined, { cause: err });
  }
}
