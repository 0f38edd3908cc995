/** A bench's entry: runs `main`, and on failure prints the error (its stack unless `messageOnly`) and exits 1. */
export function runMain(main: () => Promise<void> | void, prefix = '', messageOnly = false): void {
  Promise.resolve()
    .then(main)
    .catch((err: unknown) => {
      const text = err instanceof Error ? (messageOnly ? err.message : (err.stack ?? err.message)) : String(err);
      console.error(`${prefix}${text}`);
      process.exit(1);
    });
}
