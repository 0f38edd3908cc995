/**
 * Collate: a batch of encoded examples of unequal lengths becomes one rectangular batch, the shape a causal
 * language model takes (structurally @fedkseed/models' `Batch`; this package does not import the models).
 * Rows are right-padded: input ids with the pad token (the tokenizer's pad id, else its EOS id), labels with
 * -100 so no padded position counts in the loss, and an attention mask of 1 for tokens and 0 for padding.
 *
 * Right padding leaves every real token's position and every real token's view unchanged (attention is causal:
 * a token sees only earlier positions, all of them real), so each counted token's loss is what it is in its
 * row alone. A model's batch loss is the mean over all counted tokens of the batch (Hugging Face's, and the
 * official FedKSeed code's): a row with more response tokens weighs more than a short one.
 */
import { IGNORE_INDEX } from './encode-example';

/** One encoded example, as `encodeExample` makes it. */
export interface EncodedRow {
  inputIds: readonly number[];
  /** Same length as inputIds; -100 where the loss ignores the token. */
  labels: readonly number[];
}

/** A rectangular batch [batch][seq]. */
export interface CollatedBatch {
  inputIds: number[][];
  /** -100 at padded positions, and wherever the example masked its prompt. */
  labels: number[][];
  /** 1 at tokens, 0 at padding. */
  attentionMask: number[][];
}

export interface CollateOptions {
  /** Id written into padded input positions (`padTokenIdOf(tokenizer)`); it never counts in the loss. */
  padTokenId: number;
}

/** The tokenizer's pad token id, else its EOS id (the usual stand-in when a tokenizer defines no pad token). */
export function padTokenIdOf(tokenizer: { readonly padTokenId?: number; readonly eosTokenId?: number }): number {
  const id = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  if (id === undefined) throw new RangeError('padTokenIdOf: the tokenizer defines neither a pad nor an EOS token');
  return id;
}

export function collate(rows: readonly EncodedRow[], options: CollateOptions): CollatedBatch {
  const { padTokenId } = options;
  if (!Number.isInteger(padTokenId) || padTokenId < 0)
    throw new RangeError(`collate: padTokenId must be a non-negative integer, got ${padTokenId}`);
  if (rows.length === 0) throw new RangeError('collate: a batch needs at least one example');
  rows.forEach((row, b) => {
    if (row.inputIds.length === 0) throw new RangeError(`collate: example ${b} has no tokens`);
    if (row.labels.length !== row.inputIds.length)
      throw new RangeError(
        `collate: example ${b} has ${row.inputIds.length} input ids but ${row.labels.length} labels`,
      );
  });
  const length = Math.max(...rows.map((row) => row.inputIds.length));
  const pad = (values: readonly number[], fill: number) => [
    ...values,
    ...new Array<number>(length - values.length).fill(fill),
  ];
  return {
    inputIds: rows.map((row) => pad(row.inputIds, padTokenId)),
    labels: rows.map((row) => pad(row.labels, IGNORE_INDEX)),
    attentionMask: rows.map((row) => pad(new Array<number>(row.inputIds.length).fill(1), 0)),
  };
}

/**
 * Collates each batch of `source` as it is drawn: e.g. `collateBatches(new ClientBatches(encoded, opts), { padTokenId })`
 * as localTrain's `batches`. The source keeps its own position (ClientBatches.position) for resuming.
 */
export function collateBatches(
  source: Iterator<readonly EncodedRow[]>,
  options: CollateOptions,
): IterableIterator<CollatedBatch> {
  const iterator: IterableIterator<CollatedBatch> = {
    next: () => {
      const r = source.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: collate(r.value, options) };
    },
    [Symbol.iterator]: () => iterator,
  };
  return iterator;
}
