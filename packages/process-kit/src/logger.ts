/**
 * Structured JSON logging with fixed keys. Every line is one JSON object whose first keys are always
 * `time`, `level`, `service`, `runId`, `round`, `clientId` and `msg` (null where unknown), so that a log
 * query can filter on them without guessing; anything else a call site adds follows them and can never
 * overwrite them.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The fixed context of a logger; children narrow it to a round or a client. */
export interface LogContext {
  /** Service name, e.g. "aggregator". */
  service: string;
  /** The federated run the line is about. */
  runId?: string;
  /** API round number (counts from 1). */
  round?: number;
  /** Client id as the aggregator assigned it. */
  clientId?: string;
}

export interface LoggerOptions extends LogContext {
  /** Lines below this level are dropped. @default 'info' */
  level?: LogLevel;
  /** Where each line goes (without its trailing newline). @default one `process.stdout.write` per line */
  write?: (line: string) => void;
  /** Source of time, Unix epoch ms. @default Date.now */
  clock?: () => number;
}

const FIXED_KEYS = new Set(['time', 'level', 'service', 'runId', 'round', 'clientId', 'msg']);

export class Logger {
  readonly level: LogLevel;
  private readonly context: Readonly<LogContext>;
  private readonly write: (line: string) => void;
  private readonly clock: () => number;

  constructor(options: LoggerOptions) {
    const { level, write, clock, ...context } = options;
    this.level = level ?? 'info';
    this.context = context;
    this.write = write ?? ((line) => void process.stdout.write(`${line}\n`));
    this.clock = clock ?? Date.now;
  }

  /** A logger for a narrower context (a round, a client); the parent's sink and level are shared. */
  child(context: Partial<Omit<LogContext, 'service'>>): Logger {
    return new Logger({ ...this.context, ...context, level: this.level, write: this.write, clock: this.clock });
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.level];
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.isEnabled(level)) return;
    const line: Record<string, unknown> = {
      time: new Date(this.clock()).toISOString(),
      level,
      service: this.context.service,
      runId: this.context.runId ?? null,
      round: fields.round ?? this.context.round ?? null,
      clientId: fields.clientId ?? this.context.clientId ?? null,
      msg,
    };
    for (const [key, value] of Object.entries(fields)) {
      if (!FIXED_KEYS.has(key)) line[key] = value instanceof Error ? serializeError(value) : value;
    }
    this.write(JSON.stringify(line, jsonReplacer));
  }
}

/** A logger that drops everything (tests, libraries used without one). */
export function silentLogger(service = 'test'): Logger {
  return new Logger({ service, write: () => {} });
}

function serializeError(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name, message: e.message };
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string') out.reason = reason;
  if (e.stack) out.stack = e.stack;
  return out;
}

/** bigint (run seeds, sampling seeds) as decimal strings: JSON.stringify refuses them otherwise. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}
