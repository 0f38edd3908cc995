/**
 * The exit codes of the `fedkseed` command (documented in packages/cli/README.md):
 * 0 success; 1 the work failed (e.g. a service or the federation stopped with an error); 2 bad flags or
 * configuration (every problem listed); 3 an input could not be read (a missing or malformed model, data or
 * report file, named in the message); 130 interrupted (SIGINT/SIGTERM before the work finished).
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  INPUT: 3,
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem the user can fix; the command prints the message (no stack) and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Bad flags: every problem at once. */
export class UsageError extends CliError {
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      ExitCode.USAGE,
    );
    this.name = 'UsageError';
  }
}
