// Validates Kubernetes objects against their schemas (kubernetes-models, with the Prometheus Operator and KEDA
// models for the custom resources; these packages are ES modules only, hence this script; cert-manager's
// Certificate by hand, below). Reads a JSON array of
// objects on stdin; prints one JSON line per object: { kind, name, error } (error null when valid, "unknown kind"
// when no model covers it).
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

/**
 * cert-manager's Certificate, for which no model package is at hand: the fields cert-manager requires, checked by
 * hand (a secret name, an issuer reference, names to cover, known usages).
 */
const CERT_MANAGER_USAGES = new Set(['server auth', 'client auth', 'digital signature', 'key encipherment', 'signing']);
class Certificate {
  constructor(object) {
    this.object = object;
  }
  validate() {
    const spec = this.object.spec ?? {};
    const problems = [];
    if (typeof spec.secretName !== 'string' || !spec.secretName) problems.push('spec.secretName must be a name');
    if (typeof spec.issuerRef?.name !== 'string' || !spec.issuerRef.name)
      problems.push('spec.issuerRef.name is required');
    if (!['Issuer', 'ClusterIssuer'].includes(spec.issuerRef?.kind))
      problems.push('spec.issuerRef.kind must be Issuer or ClusterIssuer');
    if (
      !Array.isArray(spec.dnsNames) ||
      spec.dnsNames.length === 0 ||
      !spec.dnsNames.every((n) => typeof n === 'string' && n)
    )
      problems.push('spec.dnsNames must list names');
    for (const usage of spec.usages ?? []) if (!CERT_MANAGER_USAGES.has(usage)) problems.push(`unknown usage ${usage}`);
    if (problems.length) throw new Error(problems.join('; '));
  }
}

const MODELS = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'cert-manager.io/v1/Certificate': Certificate,
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
for (const object of JSON.parse(input)) {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  let error = null;
  if (!Model) error = 'unknown kind';
  else
    try {
      new Model(object).validate();
    } catch (e) {
      error = e.message;
    }
  console.log(JSON.stringify({ kind: key, name: object.metadata?.name, error }));
}
