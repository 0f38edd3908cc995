/**
 * A client's batches, deterministic and resumable: the examples are reshuffled each epoch from
 * (seed, client, epoch), and the iterator's position alone says where it stands. A retried job that starts
 * from the same position sees the same batches; a client continues across rounds, as in the official code.
 */
import { SeededRandom } from '@fedkseed/zo';

export interface ClientBatchesOptions {
  batchSize?: number;
  /** Run seed for the shuffles. */
  seed: bigint | number;
  /** Separates clients' shuffles. */
  clientIndex: number;
  /** Examples already drawn (the position to resume from). @default 0 */
  startPosition?: number;
}

export class ClientBatches<T> implements Iterator<T[]> {
  private readonly batchSize: number;
  private drawn: number;
  private epochOrder: number[] = [];
  private epoch = -1;

  constructor(
    private readonly items: readonly T[],
    private readonly opts: ClientBatchesOptions,
  ) {
    this.batchSize = opts.batchSize ?? 1;
    if (items.length === 0) throw new RangeError('ClientBatches: a client with no examples cannot train');
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new RangeError('ClientBatches: batchSize must be a positive integer');
    this.drawn = opts.startPosition ?? 0;
    if (!Number.isSafeInteger(this.drawn) || this.drawn < 0)
      throw new RangeError('ClientBatches: startPosition must be a non-negative integer');
  }

  /** Examples drawn so far; persist it to resume. */
  get position(): number {
    return this.drawn;
  }

  private itemAt(position: number): T {
    const epoch = Math.floor(position / this.items.length);
    if (epoch !== this.epoch) {
      const rng = new SeededRandom(this.opts.seed, this.opts.clientIndex, epoch);
      this.epochOrder = rng.shuffle(Array.from(this.items.keys()));
      this.epoch = epoch;
    }
    return this.items[this.epochOrder[position % this.items.length]];
  }

  next(): IteratorResult<T[]> {
    const batch: T[] = [];
    for (let i = 0; i < this.batchSize; i++) batch.push(this.itemAt(this.drawn++));
    return { done: false, value: batch };
  }
}
