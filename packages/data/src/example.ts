/** One instruction-tuning example, as Dolly and Natural Instructions both reduce to. */
export interface Example {
  instruction: string;
  /** Context or task input; '' when there is none. */
  input: string;
  output: string;
  /** Dolly category or Natural Instructions task name. */
  category?: string;
}

/** An error in a data file, naming where: file and line (JSON Lines) or file and task. */
export class DataFormatError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`, options);
    this.name = 'DataFormatError';
  }
}
