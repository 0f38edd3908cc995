// Validates Kubernetes objects against their schemas (kubernetes-models, with the Prometheus Operator and KEDA
// models for the custom resources; these packages are ES modules only, hence this script). Reads a JSON array of
// objects on stdin; prints one JSON line per object: { kind, name, error } (error null when valid, "unknown kind"
// when no model covers it).
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

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
