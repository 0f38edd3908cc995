/** A bench's ratios against their targets, PASS/FAIL on the medians, with the best-of-runs ratio beside them. */
import { fmtRatio, table } from './text-table';

export interface Ratio {
  name: string;
  value: number | null;
  value_best_of: number | null;
  target: number;
  /** null when not measured. */
  pass: boolean | null;
  definition: string;
  caveats: string[];
}

/** A ratio judged `>=` or `<=` its target. */
export function ratio(
  direction: '>=' | '<=',
  name: string,
  [value, valueBest]: [number | null, number | null],
  target: number,
  definition: string,
  caveats: string[],
): Ratio {
  const pass = value == null ? null : direction === '>=' ? value >= target : value <= target;
  return { name, value, value_best_of: valueBest, target, pass, definition, caveats };
}

/** The ratio lines of a report: one table row per ratio, then each ratio's definition. */
export function ratioLines(ratios: Ratio[], direction: '>=' | '<='): string[] {
  return [
    table(
      ratios.map((r) => [
        `  ${r.name}`,
        fmtRatio(r.value),
        `target ${direction} ${r.target}x`,
        r.pass == null ? 'N/A' : r.pass ? 'PASS' : 'FAIL',
        r.value_best_of == null ? '' : `(best-of runs: ${fmtRatio(r.value_best_of)})`,
        r.caveats.length ? `[${r.caveats.join('; ')}]` : '',
      ]),
    ),
    ...ratios.map((r) => `  - ${r.name}: ${r.definition}`),
  ];
}
