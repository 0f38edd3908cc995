/**
 * A real Prometheus (the apt package's server) scrapes a real federation: `fedkseed local-cluster` (aggregator,
 * seed-probability service, two workers on BullMQ, a device client; FedKSeed-Pro on a tiny model) on the test
 * Redis, its processes found through a file_sd targets file as they print their metrics ports. Afterwards every
 * PromQL expression of every dashboard panel must parse and return data over the run, and every rule of
 * deploy/prometheus/rules.yaml must parse; the dashboard's own conventions are checked too. A panel that stays
 * empty on a real run is a bug. FEDKSEED_SKIP_PROMTOOL_TESTS=1 skips the Prometheus tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { selectBackend } from '@fedkseed/models';
import { writeTinyModel } from '@fedkseed/testing';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'packages', 'cli', 'dist', 'main.js');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'dashboards', 'fedkseed.json');
const RULES = join(ROOT, 'deploy', 'prometheus', 'rules.yaml');
const SKIP = process.env.FEDKSEED_SKIP_PROMTOOL_TESTS === '1' || process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';

interface Panel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panelQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** The rules' expressions, read off the YAML's `expr:` entries (one line, or a `|` block). */
const ruleExprs = (() => {
  const lines = readFileSync(RULES, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2].trim() !== '|') {
      out.push(m[2].trim());
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].startsWith(`${m[1]}  `)))
      block.push(lines[++i].trim());
    out.push(block.join('\n').trim());
  }
  return out;
})();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the Grafana dashboard', () => {
  it('follows the conventions: fixed uid, current schema, a datasource variable every panel uses', () => {
    expect(dashboard.uid).toBe('fedkseed-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual([
      'datasource:datasource',
      'job:query',
      'instance:query',
    ]);
    expect(panelQueries.length).toBeGreaterThan(20);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe('${datasource}');
      for (const t of panel.targets ?? []) expect(t.datasource?.uid).toBe('${datasource}');
    }
    for (const { expr } of panelQueries) {
      // Windows come from Grafana ($__rate_interval), never fixed; every fedkseed series is filtered by job.
      for (const window of expr.match(/\[[^\]]+\]/g) ?? []) expect(window).toBe('[$__rate_interval]');
      for (const selector of expr.match(/\b(fedkseed_|process_)[a-z_]+\{[^}]*\}/g) ?? [])
        expect(selector).toContain('job=~"$job"');
    }
  });
});

(SKIP ? describe.skip : describe)('a real Prometheus scraping a real federation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedkseed-prometheus-'));
  const children: ChildProcess[] = [];
  let api = '';
  let runStart = 0;
  let runEnd = 0;

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(path: string, params: Record<string, string>) {
    const res = await fetch(`${api}${path}?${new URLSearchParams(params)}`);
    return (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; values?: [number, string][] }[] };
    };
  }

  beforeAll(async () => {
    await selectBackend('cpu');
    const model = join(dir, 'model');
    await writeTinyModel(model);
    const targets = join(dir, 'targets.json');
    writeFileSync(targets, '[]');
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(RULES)}]`,
        'scrape_configs:',
        '  - job_name: fedkseed',
        `    file_sd_configs: [{ files: [${JSON.stringify(targets)}], refresh_interval: 1s }]`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(prometheus);
    let prometheusLog = '';
    prometheus.stderr!.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    api = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ready = await fetch(`${api}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 300 || prometheus.exitCode !== null) throw new Error(`prometheus did not start:\n${prometheusLog}`);
      await sleep(100);
    }

    // The federation; its processes become scrape targets as soon as local-cluster prints their ports.
    runStart = Date.now() / 1000;
    const cluster = spawn(
      process.execPath,
      [
        CLI,
        'local-cluster',
        '--model',
        model,
        '--run-id',
        `scrape-${process.pid}-${Date.now().toString(36)}`,
        '--num-clients',
        '4',
        '--clients-per-round',
        '2',
        '--num-rounds',
        '5',
        '--num-local-steps',
        '60',
        '--num-candidate-seeds',
        '256',
        '--max-sequence-length',
        '512',
        '--seed-sampling',
        'importance',
        '--redis',
        process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        '--out',
        join(dir, 'cluster'),
      ],
      { env: { ...process.env, FEDKSEED_BACKEND: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(cluster);
    let stdout = '';
    let stderr = '';
    cluster.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cluster.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^metrics: (.*)$/m.exec(stdout)?.[1];
      if (!line || readFileSync(targets, 'utf8') !== '[]') return;
      const entries = [...line.matchAll(/([a-z-]+?)(?:-\d+)? http:\/\/([\d.]+:\d+)\/metrics/g)].map((m) => ({
        targets: [m[2]],
        labels: { job: m[1] },
      }));
      writeFileSync(`${targets}.partial`, JSON.stringify(entries));
      renameSync(`${targets}.partial`, targets);
    });
    const code = await new Promise<number | null>((r) => cluster.once('exit', r));
    runEnd = Date.now() / 1000;
    if (code !== 0) throw new Error(`local-cluster exited ${code}:\n${stdout}\n${stderr}`);
    expect(readFileSync(targets, 'utf8')).toContain('aggregator');
    await sleep(1500); // the last scrapes and rule evaluations land
  }, 240_000);

  it('every dashboard panel query parses and returns data over the run', async () => {
    const empty: string[] = [];
    for (const { panel, expr } of panelQueries) {
      const promql = expr.replaceAll('$__rate_interval', '5s').replaceAll('$job', '.+').replaceAll('$instance', '.+');
      const res = await query('/api/v1/query_range', {
        query: promql,
        start: String(runStart),
        end: String(runEnd + 1),
        step: '1',
      });
      expect({ panel, status: res.status, error: res.error }).toEqual({ panel, status: 'success', error: undefined });
      const values = (res.data?.result ?? []).flatMap((s) => s.values ?? []).filter(([, v]) => v !== 'NaN');
      if (values.length === 0) empty.push(`${panel}: ${expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('every rule expression parses, and the recording rules were evaluated', async () => {
    expect(ruleExprs.length).toBeGreaterThanOrEqual(8);
    for (const expr of ruleExprs) {
      const res = await query('/api/v1/query', { query: expr, time: String(runEnd) });
      expect({ expr, status: res.status, error: res.error }).toEqual({ expr, status: 'success', error: undefined });
    }
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBe(ruleExprs.length);
    expect(all.filter((r) => r.health !== 'ok')).toEqual([]);
  });
});
