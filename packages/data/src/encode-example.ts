/**
 * Turns an example into model inputs the way the official code does: prompt + response (+ EOS) tokenized
 * together, truncated on the right to maxLength, and every label inside the prompt masked with -100 so the
 * loss covers the response only.
 */
import { alpacaPrompt, type AlpacaPromptOptions } from './alpaca-prompt';
import type { Example } from './example';

/** Hugging Face's ignore index for the loss. */
export const IGNORE_INDEX = -100;

/** The part of a tokenizer this package needs. */
export interface TextTokenizer {
  /** Token ids of `text`, with the special tokens (e.g. BOS) the tokenizer adds to every sequence. */
  encode(text: string): number[];
  /** Appended after the response when defined. */
  readonly eosTokenId?: number;
  /** Written into padded positions by `collate` (through `padTokenIdOf`); the EOS id stands in when absent. */
  readonly padTokenId?: number;
}

export interface EncodedExample {
  inputIds: number[];
  /** Same length as inputIds; -100 where the loss ignores the token. */
  labels: number[];
  /** Number of leading prompt tokens (masked). */
  promptLength: number;
}

export interface EncodeOptions extends AlpacaPromptOptions {
  /** @default 1024 */
  maxLength?: number;
}

export function encodeExample(example: Example, tokenizer: TextTokenizer, options: EncodeOptions = {}): EncodedExample {
  const maxLength = options.maxLength ?? 1024;
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  const prompt = alpacaPrompt(example, options);
  const promptIds = tokenizer.encode(prompt);
  const ids = tokenizer.encode(prompt + example.output);
  if (tokenizer.eosTokenId !== undefined) ids.push(tokenizer.eosTokenId);
  const inputIds = ids.slice(0, maxLength);
  const promptLength = Math.min(promptIds.length, inputIds.length);
  const labels = inputIds.map((id, i) => (i < promptLength ? IGNORE_INDEX : id));
  return { inputIds, labels, promptLength };
}
