/**
 * The PyTorch side of a bench: a script of bench/reference run by a Python interpreter that prints one JSON
 * object on stdout (its figures, or `{ "error": ... }`); progress goes to the bench's stderr.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { REPO_ROOT } from './paths';
import { MiB } from './text-table';

/** The interpreter with torch: $FEDKSEED_PYTHON, else Debian's /usr/bin/python3 (apt-get install python3-torch). */
export const defaultPython = (): string => process.env.FEDKSEED_PYTHON || '/usr/bin/python3';

export type PythonResult<T> = { ok: true; value: T; wallS: number } | { ok: false; error: string };

/** Runs `python script ...args` with `env` added to this process's; its JSON answer or why there is none. */
export function runPythonJson<T>(
  python: string,
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  log?: (message: string) => void,
): PythonResult<T> {
  const envText = Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  log?.(`spawning ${envText}${python} ${path.relative(REPO_ROOT, script)} ${args.join(' ')}`);
  const t0 = process.hrtime.bigint();
  const p = spawnSync(python, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (p.error) return { ok: false, error: `could not run ${python}: ${p.error.message}` };
  let parsed: (T & { error?: string }) | null = null;
  try {
    parsed = JSON.parse(p.stdout) as T & { error?: string };
  } catch {
    /* reported below */
  }
  if (p.status !== 0 || !parsed || parsed.error)
    return { ok: false, error: parsed?.error || `exit status ${p.status}; stdout: ${String(p.stdout).slice(0, 500)}` };
  return { ok: true, value: parsed, wallS };
}
