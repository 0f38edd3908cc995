/**
 * What a long run of calls into an in-process server must not leave behind: an uncaught exception or unhandled
 * rejection, a log line at warn or above (give the server's logger level 'warn' and `write` as its sink), or heap
 * growth beyond a bound (`heapGrowthBytes` against the heap at `markHeap`, both after full collections).
 */
import { settledHeapUsedBytes } from './settled-heap';

export class ProcessFaultWatch {
  readonly crashes: unknown[] = [];
  readonly problemLogs: string[] = [];
  private heapBeforeBytes = 0;
  private readonly onCrash = (e: unknown) => void this.crashes.push(e);

  /** A logger sink that keeps every line. */
  readonly write = (line: string) => void this.problemLogs.push(line);

  /** Starts catching uncaught exceptions and unhandled rejections. */
  start(): void {
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
  }

  /** The heap the growth is measured from (call once the server is set up). */
  async markHeap(): Promise<void> {
    this.heapBeforeBytes = await settledHeapUsedBytes();
  }

  async heapGrowthBytes(): Promise<number> {
    return (await settledHeapUsedBytes()) - this.heapBeforeBytes;
  }

  stop(): void {
    process.off('uncaughtException', this.onCrash);
    process.off('unhandledRejection', this.onCrash);
  }
}
