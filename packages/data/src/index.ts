/**
 * @fedkseed/data: federated instruction data for FedKSeed, as the official experiments built it.
 *
 * @example
 * ```ts
 * import { loadDolly, summarizePartition, formatPartitionSummary, encodeExample, rougeL } from '@fedkseed/data';
 *
 * const { clients, evalSet } = await loadDolly('databricks-dolly-15k.jsonl', { numClients: 200, alpha: 0.5 });
 * console.log(formatPartitionSummary(summarizePartition(clients, evalSet)));
 * const { inputIds, labels } = encodeExample(clients[0][0], tokenizer, { maxLength: 1024 });
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
export { rougeL, rougeLSentence, type RougeLSentenceOptions } from './rouge-l';
export { summarizePartition, formatPartitionSummary, type PartitionSummary } from './partition-summary';
export { SeededRandom } from '@fedkseed/zo';
export { TINY_DOLLY_CATEGORIES, tinyDollyExamples, tinyNaturalInstructionsTasks } from './tiny-corpus';
export { tinyDatasetFiles, writeTinyDatasets } from './write-tiny-datasets';
export { inspectDataset, type DatasetInspection, type InspectOptions } from './inspect-dataset';
