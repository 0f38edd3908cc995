/**
 * The `fedkseed` command as a child process: the file named by @fedkseed/cli's package.json `bin`, its public
 * command-line entry, run with this Node.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { BENCH_DIR, REPO_ROOT } from './paths';

/** Path of the built `fedkseed` command; throws when the CLI is not built. */
export function fedkseedCliPath(): string {
  const manifest = require.resolve('@fedkseed/cli/package.json');
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const cli = path.join(path.dirname(manifest), bin.fedkseed);
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  return cli;
}

/** Writes the embedded demo's split (`export-split --demo`) to `file` unless it exists. */
export function ensureDemoSplit(file: string, stdio: 'inherit' | 'ignore' = 'ignore'): void {
  if (fs.existsSync(file)) return;
  execFileSync(process.execPath, [path.join(BENCH_DIR, 'export-split.cjs'), '--demo', '--out', file], {
    cwd: REPO_ROOT,
    stdio: ['ignore', stdio, 'inherit'],
  });
}
