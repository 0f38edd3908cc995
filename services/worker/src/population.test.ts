import { ClientBatches, collate, tinyDollyExamples, type TextTokenizer } from '@fedkseed/data';
import type { Batch } from '@fedkseed/models';

import { buildPopulation, queueClientKey, roundBatches } from './population';

/** A stand-in tokenizer: one id per word (enough to tell examples and their order apart). */
const tokenizer: TextTokenizer = {
  encode: (text) =>
    text
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => [...word].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 250, 7)),
  eosTokenId: 251,
};

async function take(source: Iterator<Batch> | AsyncIterator<Batch>, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push((await source.next()).value as Batch);
  return out;
}

describe('buildPopulation', () => {
  const examples = tinyDollyExamples();
  const clients = [examples.slice(0, 7), examples.slice(7, 10), examples.slice(10, 30)];

  it('makes one client per shard with its key, size and encoded examples, the same every time', () => {
    const population = buildPopulation({ clients, tokenizer, maxLength: 40 });
    expect(population.map((c) => [c.index, c.idempotencyKey, c.numExamples])).toEqual([
      [0, 'queue-client-0', 7],
      [1, 'queue-client-1', 3],
      [2, 'queue-client-2', 20],
    ]);
    expect(population[1].examples.every((e) => e.inputIds.length <= 40)).toBe(true);
    expect(buildPopulation({ clients, tokenizer, maxLength: 40 })).toEqual(population);
    expect(queueClientKey(12)).toBe('queue-client-12');
  });

  it('refuses a shard without examples', () => {
    expect(() => buildPopulation({ clients: [examples.slice(0, 2), []], tokenizer, maxLength: 8 })).toThrow(/client 1/);
  });

  it("round r's batches are the client's batch stream from (r - 1) * tau * batchSize on, collated", async () => {
    const [, , client] = buildPopulation({ clients, tokenizer, maxLength: 400 });
    const tau = 3;
    const batchSize = 2;
    const padTokenId = 250;
    // One continuous stream over rounds 1..3, as one client training every round in one process would see it.
    const stream = new ClientBatches(client.examples, { seed: 9n, clientIndex: client.index, batchSize });
    const continuous = Array.from({ length: 3 * tau }, () => collate(stream.next().value, { padTokenId }));
    expect(new Set(continuous.map((b) => JSON.stringify(b))).size).toBe(3 * tau); // every batch differs
    for (const round of [1, 2, 3]) {
      const batches = await take(
        roundBatches(client, { runSeed: 9n, round, numLocalSteps: tau, batchSize, padTokenId }),
        tau,
      );
      expect(batches).toEqual(continuous.slice((round - 1) * tau, round * tau));
    }
    // Another client or run seed orders the data differently.
    const other = await take(
      roundBatches(client, { runSeed: 10n, round: 1, numLocalSteps: tau, batchSize, padTokenId }),
      tau,
    );
    expect(other).not.toEqual(continuous.slice(0, tau));
  });
});
