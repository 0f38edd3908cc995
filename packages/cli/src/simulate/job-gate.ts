/**
 * Holds the aggregator's train jobs while the simulator evaluates the round that just closed, so that the next
 * round's training does not share the CPU with the evaluation (and its seconds measure training and
 * aggregation alone). A TrainJobProducer in front of the real one: closed, it keeps what it is given; open, it
 * passes everything on.
 */
import type { TrainJob, TrainJobProducer } from '@fedkseed/queue';

export class JobGate implements TrainJobProducer {
  private held: TrainJob[] = [];
  private isOpen = false;

  constructor(private readonly inner: TrainJobProducer) {}

  async enqueue(jobs: readonly TrainJob[]): Promise<void> {
    if (this.isOpen) return this.inner.enqueue(jobs);
    this.held.push(...jobs);
  }

  /** Passes on what was held, and everything from now on. */
  async open(): Promise<void> {
    this.isOpen = true;
    const held = this.held;
    this.held = [];
    if (held.length) await this.inner.enqueue(held);
  }

  /** Holds what comes from now on. */
  hold(): void {
    this.isOpen = false;
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
