/**
 * The population a worker trains: the run's in-cluster clients, one per shard of a federated split, made the
 * same way in every worker (and in the one-process simulator), so that every process that registers it gets
 * the same client ids and trains each client on the same data in the same order.
 *
 * Data order is a function of (run seed, round, client) alone: the batches of API round r are those of
 * `ClientBatches(examples, { seed: runSeed, clientIndex: index, batchSize })` from position
 * (r - 1) * tau * batchSize on, collated. A retried job, or another worker, trains round r on exactly the same
 * batches; with 'exact' sync (weights rebuilt from w0 and A each round) it then uploads the same pairs, bit for
 * bit, and the aggregator counts them once.
 */
import {
  ClientBatches,
  collateBatches,
  encodeExample,
  type EncodedExample,
  type Example,
  type PromptWording,
  type TextTokenizer,
} from '@fedkseed/data';
import type { Batch } from '@fedkseed/models';
import type { BatchSource } from '@fedkseed/zo';

/** One in-cluster client. */
export interface PopulationClient {
  /** Its shard of the split: the data order's client index, and its registration key's suffix. */
  readonly index: number;
  /** `queue-client-<index>`: registering it again (any worker, any restart) is the same client. */
  readonly idempotencyKey: string;
  /** Its aggregation weight under data-size weighting. */
  readonly numExamples: number;
  /** Its examples, encoded for the run's model. */
  readonly examples: readonly EncodedExample[];
}

export interface PopulationOptions {
  /** Each client's examples, in shard order (e.g. `loadDolly(...).clients`). */
  clients: readonly (readonly Example[])[];
  /** The run's model's tokenizer. */
  tokenizer: TextTokenizer;
  /** Longest encoded example (right truncation): the run's `maxSequenceLength`. */
  maxLength: number;
  /** @default 'alpaca' */
  promptWording?: PromptWording;
}

/** The registration key of the population's client `index`. */
export function queueClientKey(index: number): string {
  return `queue-client-${index}`;
}

/** The population of a split: one client per shard, its examples encoded (prompt masked, EOS appended). */
export function buildPopulation(options: PopulationOptions): PopulationClient[] {
  const { clients, tokenizer, maxLength } = options;
  return clients.map((examples, index) => {
    if (examples.length === 0) throw new RangeError(`client ${index} of the split has no examples`);
    return {
      index,
      idempotencyKey: queueClientKey(index),
      numExamples: examples.length,
      examples: examples.map((e) => encodeExample(e, tokenizer, { maxLength, wording: options.promptWording })),
    };
  });
}

export interface RoundBatchesOptions {
  /** The run's seed (RunConfig.runSeed). */
  runSeed: bigint;
  /** API round, from 1. */
  round: number;
  /** tau (RunConfig.numLocalSteps). */
  numLocalSteps: number;
  /** Examples per step (RunConfig.batchSize). */
  batchSize: number;
  /** Written into padded positions (`padTokenIdOf(tokenizer)`). */
  padTokenId: number;
}

/**
 * The batches client `client` trains round `round` on (see the module comment), as an async iterator that lets
 * the event loop run before each batch: on the wasm and cpu backends a ZO step settles only promises, so
 * without it nothing else (signals, the job lock's renewals, gRPC keepalives, timers) would run until the job
 * ended, and a long job's lock would expire under a live worker.
 */
export function roundBatches(client: PopulationClient, options: RoundBatchesOptions): BatchSource<Batch> {
  const { runSeed, round, numLocalSteps, batchSize, padTokenId } = options;
  if (!Number.isSafeInteger(round) || round < 1) throw new RangeError(`round must be an integer >= 1, got ${round}`);
  const startPosition = (round - 1) * numLocalSteps * batchSize;
  const source = new ClientBatches(client.examples, {
    seed: runSeed,
    clientIndex: client.index,
    batchSize,
    startPosition,
  });
  const batches = collateBatches(source, { padTokenId });
  return {
    next: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return batches.next();
    },
  };
}
