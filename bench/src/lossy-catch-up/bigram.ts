/**
 * The lossy catch-up bench's small model and data: a byte-level bigram language model (a V x V table of
 * next-byte logits, V = 96 printable characters) on the bundled tiny Dolly corpus, split non-IID over clients.
 */
import fs from 'node:fs';

import { TINY_DOLLY_FILE } from '@fedkseed/data';
import type { SeededRandom } from '@fedkseed/zo';

export const VOCAB = 96; // bytes 32..126 and one slot for everything else (newline, tab, non-ASCII)
const BATCH_PAIRS = 64;

const symbol = (byte: number): number => (byte >= 32 && byte <= 126 ? byte - 32 : VOCAB - 1);

/** Each record's text as symbol pairs (previous, next): [prev0, next0, prev1, next1, ...]. */
export function readRecords(): Uint8Array[] {
  return fs
    .readFileSync(TINY_DOLLY_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const r = JSON.parse(line) as { instruction: string; context: string; response: string };
      const bytes = Buffer.from(`${r.instruction}\n${r.context}\n${r.response}\n`, 'utf8');
      const pairs = new Uint8Array(2 * (bytes.length - 1));
      for (let j = 0; j + 1 < bytes.length; j++) {
        pairs[2 * j] = symbol(bytes[j]);
        pairs[2 * j + 1] = symbol(bytes[j + 1]);
      }
      return pairs;
    });
}

export function concat(arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Mean next-symbol cross-entropy (nats) of the bigram logits table over symbol pairs. */
export function bigramLoss(logits: Float32Array, pairs: Uint8Array): number {
  const n = pairs.length / 2;
  let total = 0;
  for (let j = 0; j < n; j++) {
    const row = pairs[2 * j] * VOCAB;
    let max = -Infinity;
    for (let v = 0; v < VOCAB; v++) if (logits[row + v] > max) max = logits[row + v];
    let sum = 0;
    for (let v = 0; v < VOCAB; v++) sum += Math.exp(logits[row + v] - max);
    total += max + Math.log(sum) - logits[row + pairs[2 * j + 1]];
  }
  return total / n;
}

export const l2 = (a: Float32Array): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
export function l2diff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * Non-IID shards: records sorted by their first symbols (which groups instructions of a kind), dealt in contiguous
 * chunks, so each client sees a few kinds of task.
 */
export function clientShards(records: Uint8Array[], numClients: number, random: SeededRandom): Uint8Array[] {
  const order = records.map((_, j) => j).sort((a, b) => records[a][0] - records[b][0] || records[a][2] - records[b][2]);
  const shards = Array.from({ length: numClients }, (): Uint8Array[] => []);
  order.forEach((j, position) => shards[Math.floor((position * numClients) / order.length)].push(records[j]));
  return shards.map((s) => concat(s.length > 0 ? s : [records[Math.floor(random.uniform() * records.length)]]));
}

/** Endless batches of BATCH_PAIRS symbol pairs drawn with replacement. */
export function* batches(pairs: Uint8Array, random: SeededRandom): Generator<Uint8Array> {
  const n = pairs.length / 2;
  for (;;) {
    const batch = new Uint8Array(2 * BATCH_PAIRS);
    for (let j = 0; j < BATCH_PAIRS; j++) {
      const at = Math.floor(random.uniform() * n);
      batch[2 * j] = pairs[2 * at];
      batch[2 * j + 1] = pairs[2 * at + 1];
    }
    yield batch;
  }
}
