/** The benches' --json output: every figure of a run, pretty-printed, its folder made if needed. */
import fs from 'node:fs';
import path from 'node:path';

export function writeJsonReport(file: string, report: unknown, indent = 2): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, indent) + '\n');
}
