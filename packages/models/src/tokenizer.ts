/**
 * The model's tokenizer: `tokenizer.json` (Hugging Face tokenizers format) through @huggingface/tokenizers, with
 * `tokenizer_config.json`'s special tokens where present. Implements @fedkseed/data's TextTokenizer shape.
 */
import * as path from 'node:path';

import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };

import { readCheckpointJson } from './checkpoint-json';
import { CheckpointError } from './safetensors';

// The package ships a CommonJS build for Node; its type declarations are ESM-only, hence the type-only import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };

/** Files carried over unchanged when a model is saved. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

export class ModelTokenizer {
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;

  private constructor(
    private readonly tokenizer: TokenizerClass,
    config: Record<string, unknown>,
    fallback: { bosTokenId?: number; eosTokenId?: number },
  ) {
    const id = (field: string) => {
      const name = tokenName(config[field]);
      return name === undefined ? undefined : tokenizer.token_to_id(name);
    };
    this.bosTokenId = id('bos_token') ?? fallback.bosTokenId;
    this.eosTokenId = id('eos_token') ?? fallback.eosTokenId;
    this.padTokenId = id('pad_token');
  }

  /** The tokenizer of a checkpoint directory, or undefined when it has no tokenizer.json. */
  static async fromDirectory(
    dir: string,
    fallback: { bosTokenId?: number; eosTokenId?: number } = {},
  ): Promise<ModelTokenizer | undefined> {
    const file = path.join(dir, 'tokenizer.json');
    const json = await readCheckpointJson(file, { optional: true });
    if (!json) return undefined;
    const config = (await readCheckpointJson(path.join(dir, 'tokenizer_config.json'), { optional: true })) ?? {};
    try {
      return new ModelTokenizer(new Tokenizer(json, config), config, fallback);
    } catch (err) {
      throw new CheckpointError(`unsupported tokenizer (${(err as Error).message})`, file, undefined, { cause: err });
    }
  }

  /** Token ids, with the special tokens the tokenizer's post-processor adds (e.g. BOS). */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true });
  }
}
