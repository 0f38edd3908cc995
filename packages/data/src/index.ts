/**
 * @fedkseed/data: federated instruction data for FedKSeed, as the official experiments built it.
 *
 * @example
 * ```ts
 * import { ClientBatches, collateBatches, encodeExample, formatPartitionSummary, loadDolly, padTokenIdOf, rougeL, summarizePartition } from '@fedkseed/data';
 *
 * const { clients, evalSet } = await loadDolly('databricks-dolly-15k.jsonl', { numClients: 200, alpha: 0.5 });
 * console.log(formatPartitionSummary(summarizePartition(clients, evalSet)));
 * const encoded = clients[0].map((e) => encodeExample(e, tokenizer, { maxLength: 1024 }));
 * // Rectangular batches of 2 (right-padded, labels -100 and attention mask 0 at padding): @fedkseed/models' Batch.
 * const batches = collateBatches(new ClientBatches(encoded, { batchSize: 2, seed: 42n, clientIndex: 0 }), {
 *   padTokenId: padTokenIdOf(tokenizer),
 * });
 * rougeL('the cat sat', 'the cat sat down'); // the paper's Rouge-L F
 * ```
 */
export { type Example, DataFormatError } from './example';
export { loadDolly, readDolly, type DollyOptions, type FederatedDataset } from './dolly';
export {
  loadNaturalInstructions,
  type NaturalInstructionsDataset,
  type NaturalInstructionsOptions,
} from './natural-instructions';
export { dirichletPartition, type DirichletPartitionOptions } from './dirichlet-partition';
export { alpacaPrompt, type AlpacaPromptOptions, type PromptWording } from './alpaca-prompt';
export {
  encodeExample,
  IGNORE_INDEX,
  type EncodedExample,
  type EncodeOptions,
  type TextTokenizer,
} from './encode-example';
export { ClientBatches, type ClientBatchesOptions } from './client-batches';
export {
  collate,
  collateBatches,
  padTokenIdOf,
  type CollateOptions,
  type CollatedBatch,
  type EncodedRow,
} from './collate';
export { rougeL, rougeLSentence, type RougeLSentenceOptions } from './rouge-l';
export { summarizePartition, formatPartitionSummary, type PartitionSummary } from './partition-summary';
export { SeededRandom } from '@fedkseed/zo';
export {
  TINY_CORPUS_FACTS,
  TINY_DOLLY_CATEGORIES,
  tinyDollyExamples,
  tinyNaturalInstructionsTasks,
} from './tiny-corpus';
export { tinyDatasetFiles, writeTinyDatasets, TINY_DATASETS_DIR, TINY_DOLLY_FILE } from './write-tiny-datasets';
export { inspectDataset, type DatasetInspection, type InspectOptions } from './inspect-dataset';
