/**
 * deploy/prometheus/rules.yaml: `promtool check rules` accepts it, `promtool test rules` passes its unit tests
 * (each alert fires on the series that should fire it, and stays quiet beside it), and every fedkseed series it
 * reads is one docs/metrics.md documents (so a renamed metric cannot leave a rule reading nothing).
 * FEDKSEED_SKIP_PROMTOOL_TESTS=1 skips the promtool runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '..', 'prometheus');
const ROOT = join(__dirname, '..', '..');
const itPromtool = process.env.FEDKSEED_SKIP_PROMTOOL_TESTS === '1' ? it.skip : it;

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool: ${run.error.message} (apt install prometheus)`);
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('Prometheus rules', () => {
  itPromtool('pass promtool check rules', () => {
    const run = promtool('check', 'rules', 'rules.yaml');
    expect(run.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(run.status).toBe(0);
  });

  itPromtool('pass their unit tests (promtool test rules)', () => {
    const run = promtool('test', 'rules', 'rules.test.yaml');
    expect(run.output).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });

  it('read only series that docs/metrics.md documents', () => {
    const rules = readFileSync(join(DIR, 'rules.yaml'), 'utf8');
    const documented = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
    const read = new Set(rules.match(/\bfedkseed_[a-z_]+/g) ?? []);
    expect(read.size).toBeGreaterThan(5);
    const missing = [...read].filter((name) => !documented.includes(`\`${name}`));
    expect(missing).toEqual([]);
  });
});
