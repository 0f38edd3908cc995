/**
 * A bench's entry: runs `main`; on failure prints the error (its stack unless `messageOnly`, the message alone for a
 * bad command line) and exits 1 (2 for a bad command line).
 */
import { UsageError } from './args';

export function runMain(main: () => Promise<void> | void, prefix = '', messageOnly = false): void {
  Promise.resolve()
    .then(main)
    .catch((err: unknown) => {
      const usage = err instanceof UsageError;
      const text =
        err instanceof Error ? (messageOnly || usage ? err.message : (err.stack ?? err.message)) : String(err);
      console.error(`${prefix}${text}`);
      process.exit(usage ? 2 : 1);
    });
}
