/**
 * deploy/k8s: the kustomize base is the Helm chart's rendering (render-base.cjs --check finds it up to date), and
 * the base and the production overlay build with kubectl's kustomize (fetched with Helm from npm) into objects the
 * Kubernetes schemas accept, the overlay's changes applied (namespace, replicas, GPU workers, one queue name on
 * both sides).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const TOOL = join(ROOT, 'helm', 'scripts', 'k8s-tool.sh');

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    replicas?: number;
    template?: {
      spec: {
        runtimeClassName?: string;
        containers: {
          name: string;
          image: string;
          env?: { name: string; value?: string }[];
          resources?: { limits?: Record<string, unknown> };
        }[];
      };
    };
  };
};

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function build(dir: string): K8sObject[] {
  return parseAllDocuments(run(TOOL, ['kubectl', 'kustomize', join(ROOT, 'deploy', 'k8s', dir)]))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function expectValid(objects: K8sObject[]): void {
  const out = run(process.execPath, [join(ROOT, 'helm', 'test', 'validate-objects.mjs')], JSON.stringify(objects));
  const results = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; error: string | null });
  expect(results).toHaveLength(objects.length);
  expect(results.filter((r) => r.error !== null)).toEqual([]);
}

const env = (o: K8sObject, name: string) =>
  o.spec?.template?.spec.containers[0].env?.find((e) => e.name === name)?.value;

describe('deploy/k8s', () => {
  it('has a base that is the chart rendered now', () => {
    expect(run(process.execPath, [join(ROOT, 'deploy', 'k8s', 'render-base.cjs'), '--check'])).toContain('up to date');
  });

  it('builds the base into valid objects', () => {
    const base = build('base');
    expect(base.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'Deployment',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'Service',
      'Service',
      'StatefulSet',
    ]);
    expectValid(base);
  });

  it('builds the production overlay into valid objects with its changes', () => {
    const prod = build('overlays/production');
    expectValid(prod);
    for (const o of prod.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('fedkseed-prod');
    const byName = new Map(prod.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o]));
    const aggregator = byName.get('fedkseed-aggregator')!;
    const worker = byName.get('fedkseed-worker')!;
    expect(aggregator.spec?.replicas).toBe(3);
    expect(env(aggregator, 'RUN_ID')).toBe('prod-run-1');
    expect(env(worker, 'QUEUE_NAME')).toBe(env(aggregator, 'QUEUE_NAME'));
    const pod = worker.spec!.template!.spec;
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.containers[0].image).toBe('fedkseed/fedkseed-worker-gpu:0.1.0');
    expect(pod.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe(1);
  });
});
