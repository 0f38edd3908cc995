/**
 * Command-line options of the benches, read with node's util.parseArgs: every value is checked and every problem
 * is reported at once, in one error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command line the bench cannot run with; the message says what to change (runMain prints it alone). */
export class UsageError extends Error {}

/** The problems found while converting option values; `finish()` throws them together. */
export class OptionProblems {
  private readonly problems: string[] = [];

  add(problem: string): void {
    this.problems.push(problem);
  }

  /** A finite number >= `min`, or undefined when the option was not given. */
  number(name: string, value: string | undefined, min = -Infinity): number | undefined {
    if (value === undefined) return undefined;
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < min) {
      this.add(`--${name}: "${value}" is not a number >= ${min}`);
      return undefined;
    }
    return v;
  }

  /** An integer >= `min`, or undefined when the option was not given. */
  integer(name: string, value: string | undefined, min = 1): number | undefined {
    const v = this.number(name, value, min);
    if (v !== undefined && !Number.isInteger(v)) {
      this.add(`--${name}: "${value}" is not an integer`);
      return undefined;
    }
    return v;
  }

  /** A comma-separated list of finite numbers. */
  numbers(name: string, value: string | undefined): number[] | undefined {
    if (value === undefined) return undefined;
    const items = value.split(',').filter((x) => x.trim() !== '');
    const out = items.map((x) => this.number(name, x));
    return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
  }

  /** Throws one Error that lists every problem, if there were any. */
  finish(): void {
    if (this.problems.length) throw new UsageError(this.problems.join('\n'));
  }
}

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

type Config<T extends Options> = { args: string[]; options: T & typeof HELP; strict: true; allowPositionals: false };

/**
 * util.parseArgs over `argv` (default: this process's arguments) with `options`; prints `usage` and exits on
 * --help / -h.
 */
export function readOptions<T extends Options>(
  options: T,
  usage: string,
  argv: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<Config<T>>>['values'] {
  const config: Config<T> = { args: argv, options: { ...options, ...HELP }, strict: true, allowPositionals: false };
  let values: ReturnType<typeof parseArgs<Config<T>>>['values'];
  try {
    values = parseArgs(config).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`);
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}
