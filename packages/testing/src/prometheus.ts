/**
 * Checks of a process's Prometheus exposition for tests: read one series' value, and run `promtool check
 * metrics` (Prometheus's own linter, apt package `prometheus`) on what the process would serve: Node.js's
 * default metrics with an app's own registry.
 */
import { spawnSync } from 'node:child_process';

import { createProcessRegistry } from '@fedkseed/process-kit';
import { Registry } from 'prom-client';

/** The value of one series line `name{labels} value` of an exposition (undefined when absent). */
export function metricSample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The exposition a process serving `registry` beside Node.js's default metrics would give. */
export function processExposition(registry: Registry): Promise<string> {
  return Registry.merge([createProcessRegistry(), registry]).metrics();
}

/**
 * What `promtool check metrics` says of `exposition`: '' when it finds nothing. Throws when promtool is not
 * installed. FEDKSEED_SKIP_PROMTOOL_TESTS=1 skips the check (answers '').
 */
export function promtoolProblems(exposition: string): string {
  if (process.env.FEDKSEED_SKIP_PROMTOOL_TESTS === '1') return '';
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (lint.error)
    throw new Error(`promtool: ${lint.error.message} (apt install prometheus, or FEDKSEED_SKIP_PROMTOOL_TESTS=1)`);
  const output = (lint.stdout + lint.stderr).trim();
  return lint.status === 0 && output === '' ? '' : output || `promtool exited with ${lint.status}`;
}
