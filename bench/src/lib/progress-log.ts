/** Progress lines on stderr, prefixed with the bench's name; the report goes to stdout. */
export const progressLog =
  (bench: string) =>
  (message: string): void => {
    process.stderr.write(`[${bench}] ${message}\n`);
  };
