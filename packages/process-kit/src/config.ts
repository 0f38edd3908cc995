/**
 * Configuration from environment variables, validated all at once: an `EnvReader` collects every problem
 * while a service's `loadConfig(env)` reads its variables, and `finish()` throws one `ConfigError` that
 * lists them all, so an operator fixes a deployment in one pass instead of one restart per typo.
 * An empty variable counts as unset (Kubernetes and shells produce them easily).
 */
import { accessSync, constants, readFileSync } from 'node:fs';

import type { LogLevel } from './logger';
import { LOG_LEVELS } from './logger';

export type Env = Readonly<Record<string, string | undefined>>;

/** Every problem of a configuration, one per line in `message` and one per entry in `problems`. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}

export interface NumberRule {
  /** Used when the variable is unset; without it the variable is required. */
  default?: number;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** The value must be greater than this. */
  greaterThan?: number;
}

const MAX_UINT64 = (1n << 64n) - 1n;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Records a problem that no single-variable rule catches (e.g. two variables that must go together). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Whether the variable is set to a non-empty value. */
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  /** A string; `required` makes unset a problem, `default` fills it in. */
  string(name: string, rule: { default?: string; required?: boolean; maxLength?: number; pattern?: RegExp } = {}) {
    const value = this.raw(name) ?? rule.default;
    if (value === undefined) {
      if (rule.required) this.problem(`${name} is required`);
      return undefined;
    }
    if (rule.maxLength !== undefined && value.length > rule.maxLength)
      this.problem(`${name} must be at most ${rule.maxLength} characters, got ${value.length}`);
    if (rule.pattern && !rule.pattern.test(value))
      this.problem(`${name} must match ${rule.pattern}, got ${JSON.stringify(value)}`);
    return value;
  }

  /** A required string (a problem when unset; '' is returned so that reading can go on). */
  requiredString(name: string, rule: { maxLength?: number; pattern?: RegExp } = {}): string {
    return this.string(name, { ...rule, required: true }) ?? '';
  }

  /** A secret of at least `minBytes` UTF-8 bytes; the value never appears in a problem message. */
  secret(name: string, rule: { minBytes: number; required?: boolean }): string | undefined {
    const value = this.env[name];
    if (value === undefined || value === '') {
      if (rule.required) this.problem(`${name} is required (at least ${rule.minBytes} bytes)`);
      return undefined;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < rule.minBytes) this.problem(`${name} must be at least ${rule.minBytes} bytes, got ${bytes}`);
    return value;
  }

  /**
   * A secret from `name` or from the file `${name}_FILE` names (a mounted Kubernetes Secret), not both; trailing
   * line breaks of the file are dropped. The value never appears in a problem message.
   */
  secretOrFile(name: string, rule: { minBytes: number; required?: boolean }): string | undefined {
    const fileVar = `${name}_FILE`;
    const path = this.string(fileVar);
    if (path === undefined) {
      const value = this.secret(name, { minBytes: rule.minBytes });
      if (value === undefined && rule.required) this.problem(`${name} or ${fileVar} is required`);
      return value;
    }
    if (this.env[name] !== undefined && this.env[name] !== '') {
      this.problem(`set ${name} or ${fileVar}, not both`);
      return undefined;
    }
    let value: string;
    try {
      value = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
    } catch {
      this.problem(`${fileVar} must name a readable file, got ${JSON.stringify(path)}`);
      return undefined;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < rule.minBytes)
      this.problem(`the file of ${fileVar} must hold at least ${rule.minBytes} bytes, got ${bytes}`);
    return value;
  }

  /** A finite number within the rule's bounds. */
  number(name: string, rule: NumberRule = {}): number {
    return this.numeric(name, rule, false);
  }

  /** An integer within the rule's bounds. */
  int(name: string, rule: NumberRule = {}): number {
    return this.numeric(name, rule, true);
  }

  private numeric(name: string, rule: NumberRule, integer: boolean): number {
    const text = this.raw(name);
    if (text === undefined) {
      if (rule.default === undefined) this.problem(`${name} is required`);
      return rule.default ?? NaN;
    }
    const value = Number(text);
    const kind = integer ? 'an integer' : 'a finite number';
    if (!Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
      this.problem(`${name} must be ${kind}, got ${JSON.stringify(text)}`);
      return NaN;
    }
    if (rule.min !== undefined && value < rule.min) this.problem(`${name} must be >= ${rule.min}, got ${value}`);
    if (rule.max !== undefined && value > rule.max) this.problem(`${name} must be <= ${rule.max}, got ${value}`);
    if (rule.greaterThan !== undefined && !(value > rule.greaterThan))
      this.problem(`${name} must be > ${rule.greaterThan}, got ${value}`);
    return value;
  }

  /** An unsigned 64-bit integer, decimal or 0x-hex. */
  uint64(name: string, rule: { default?: bigint } = {}): bigint {
    const text = this.raw(name);
    if (text === undefined) {
      if (rule.default === undefined) this.problem(`${name} is required`);
      return rule.default ?? 0n;
    }
    let value: bigint;
    try {
      if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) throw new SyntaxError();
      value = BigInt(text);
    } catch {
      this.problem(`${name} must be an unsigned 64-bit integer (decimal or 0x hex), got ${JSON.stringify(text)}`);
      return 0n;
    }
    if (value > MAX_UINT64) this.problem(`${name} must be < 2^64, got ${text}`);
    return value;
  }

  /** One of `values`. */
  oneOf<T extends string>(name: string, values: readonly T[], rule: { default?: T } = {}): T {
    const text = this.raw(name);
    if (text === undefined) {
      if (rule.default === undefined) this.problem(`${name} is required (one of ${values.join(', ')})`);
      return rule.default ?? values[0];
    }
    if (!(values as readonly string[]).includes(text)) {
      this.problem(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(text)}`);
      return rule.default ?? values[0];
    }
    return text as T;
  }

  /** true/false/1/0/yes/no (case-insensitive). */
  bool(name: string, rule: { default: boolean }): boolean {
    const text = this.raw(name)?.toLowerCase();
    if (text === undefined) return rule.default;
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    this.problem(`${name} must be true or false, got ${JSON.stringify(text)}`);
    return rule.default;
  }

  /** A path to a readable file, or undefined when unset. */
  file(name: string, rule: { required?: boolean } = {}): string | undefined {
    const path = this.string(name, { required: rule.required });
    if (path === undefined) return undefined;
    try {
      accessSync(path, constants.R_OK);
    } catch {
      this.problem(`${name} must name a readable file, got ${JSON.stringify(path)}`);
    }
    return path;
  }

  /** A TCP port, 0 meaning "any free port" (tests). */
  port(name: string, rule: { default: number }): number {
    return this.int(name, { default: rule.default, min: 0, max: 65535 });
  }

  /** LOG_LEVEL-style variable. */
  logLevel(name = 'LOG_LEVEL'): LogLevel {
    return this.oneOf(name, LOG_LEVELS, { default: 'info' });
  }

  /** Throws one ConfigError listing every problem found so far, if any. */
  finish(): void {
    if (this.problems.length) throw new ConfigError([...this.problems]);
  }
}

/** TLS material for a gRPC server, as file paths; mutual TLS when `caFile` is set. */
export interface TlsFiles {
  /** PEM certificate chain the server presents. */
  certFile: string;
  /** PEM private key of that certificate. */
  keyFile: string;
  /** PEM CA bundle that client certificates must chain to; when set, clients must present one (mTLS). */
  caFile?: string;
}

/**
 * TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE (names overridable): both of cert and key or neither (then the
 * server is insecure, which only a trusted network or a TLS-terminating mesh makes acceptable).
 */
export function readTlsFiles(
  env: EnvReader,
  names = { cert: 'TLS_CERT_FILE', key: 'TLS_KEY_FILE', ca: 'TLS_CA_FILE' },
): TlsFiles | undefined {
  const certFile = env.file(names.cert);
  const keyFile = env.file(names.key);
  const caFile = env.file(names.ca);
  if ((certFile === undefined) !== (keyFile === undefined))
    env.problem(`${names.cert} and ${names.key} must be set together`);
  if (caFile !== undefined && certFile === undefined)
    env.problem(`${names.ca} (mutual TLS) needs ${names.cert} and ${names.key}`);
  if (certFile === undefined || keyFile === undefined) return undefined;
  return caFile === undefined ? { certFile, keyFile } : { certFile, keyFile, caFile };
}
