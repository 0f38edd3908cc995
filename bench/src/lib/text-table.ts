/**
 * Plain-text output shared by the benchmarks: aligned columns (cli-table3 without borders: columns padded to the
 * widest cell, two spaces apart, trailing blanks dropped) and the number formats of their reports.
 */
import Table from 'cli-table3';

const NO_BORDERS = Object.fromEntries(
  [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
    'left',
    'left-mid',
    'mid',
    'mid-mid',
    'right',
    'right-mid',
  ].map((k) => [k, '']),
);

export type Cell = string | number | null | undefined;

/** Rows of cells as columns padded to the widest cell, two spaces apart. */
export function table(rows: readonly (readonly Cell[])[]): string {
  const t = new Table({
    chars: { ...NO_BORDERS, middle: '  ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map((c) => String(c ?? '')));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Seconds in s, ms or us. */
export const fmtS = (s: number | null | undefined): string =>
  s == null
    ? 'n/a'
    : s >= 1
      ? `${s.toFixed(3)} s`
      : s >= 1e-3
        ? `${(s * 1e3).toFixed(2)} ms`
        : `${(s * 1e6).toFixed(1)} us`;

/** Seconds as milliseconds with one decimal. */
export const fmtMs = (s: number | null | undefined): string => (s == null ? 'n/a' : `${(s * 1e3).toFixed(1)} ms`);

export const fmtRatio = (x: number | null | undefined): string =>
  x == null ? 'n/a' : x >= 1 ? `${x.toFixed(2)}x` : `${x.toPrecision(3)}x`;

export const fmtInt = (n: number): string => n.toLocaleString('en-US');

export const MiB = 1024 * 1024;
export const fmtMiB = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** A loss or other figure to `digits` decimals; NaN and infinities as themselves. */
export const fmtFixed = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
