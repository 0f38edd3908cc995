/**
 * Reads a command's option values (strings from commander) into typed values, collecting every problem so that
 * one run reports all of them (`finish()` throws one UsageError).
 */
import { existsSync, statSync } from 'node:fs';

import { UsageError } from './exit-codes';

type Raw = Record<string, unknown>;

export class FlagReader {
  private readonly problems: string[] = [];

  /** `extra`: the arguments commander did not recognise (unknown flags and stray words), reported as problems. */
  constructor(
    private readonly values: Raw,
    extra: readonly string[] = [],
  ) {
    for (const arg of extra)
      this.problems.push(arg.startsWith('-') ? `unknown flag ${arg.split('=')[0]}` : `unexpected argument '${arg}'`);
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  private value(name: string): string | undefined {
    const v = this.values[camel(name)];
    if (v === undefined || v === null) return undefined;
    return String(v);
  }

  /** The option's value as commander parsed it (booleans for flags without a value). */
  rawValue(key: string): unknown {
    return this.values[key];
  }

  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.value(name) ?? fallback;
  }

  int(name: string, fallback: number, rule: { min?: number; max?: number } = {}): number {
    const text = this.value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
      this.problem(`--${name} must be an integer, got '${text}'`);
      return fallback;
    }
    return this.range(name, n, rule) ?? fallback;
  }

  number(name: string, fallback: number, rule: { min?: number; max?: number; greaterThan?: number } = {}): number {
    const text = this.value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) {
      this.problem(`--${name} must be a finite number, got '${text}'`);
      return fallback;
    }
    if (rule.greaterThan !== undefined && !(n > rule.greaterThan)) {
      this.problem(`--${name} must be > ${rule.greaterThan}, got ${n}`);
      return fallback;
    }
    return this.range(name, n, rule) ?? fallback;
  }

  uint64(name: string, fallback: bigint): bigint {
    const text = this.value(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text.trim()) || BigInt(text) > 0xffffffffffffffffn) {
      this.problem(`--${name} must be an unsigned 64-bit integer in decimal, got '${text}'`);
      return fallback;
    }
    return BigInt(text);
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const text = this.value(name);
    if (text === undefined) return fallback;
    if (!(choices as readonly string[]).includes(text)) {
      this.problem(`--${name} must be one of ${choices.join(', ')}, got '${text}'`);
      return fallback;
    }
    return text as T;
  }

  /** A flag that must be given; '' when it is missing (and the problem recorded). */
  required(name: string): string {
    const v = this.value(name);
    if (v === undefined) this.problem(`--${name} is required`);
    return v ?? '';
  }

  /** A path that must exist (a directory when `kind` says so). */
  existingPath(name: string, kind: 'file' | 'directory', fallback?: string): string | undefined {
    const path = this.value(name) ?? fallback;
    if (path === undefined || path === '') return undefined;
    if (!existsSync(path)) this.problem(`--${name}: ${path} does not exist`);
    else if (kind === 'directory' && !statSync(path).isDirectory())
      this.problem(`--${name}: ${path} is not a directory`);
    else if (kind === 'file' && !statSync(path).isFile()) this.problem(`--${name}: ${path} is not a file`);
    return path;
  }

  /** A positional path argument that must exist. */
  existingPathArgument(path: string): string {
    if (!existsSync(path)) this.problem(`${path} does not exist`);
    return path;
  }

  private range(name: string, n: number, rule: { min?: number; max?: number }): number | undefined {
    if (rule.min !== undefined && n < rule.min) {
      this.problem(`--${name} must be >= ${rule.min}, got ${n}`);
      return undefined;
    }
    if (rule.max !== undefined && n > rule.max) {
      this.problem(`--${name} must be <= ${rule.max}, got ${n}`);
      return undefined;
    }
    return n;
  }

  /** Throws one UsageError listing every problem, if any. */
  finish(): void {
    if (this.problems.length) throw new UsageError(this.problems);
  }
}

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
