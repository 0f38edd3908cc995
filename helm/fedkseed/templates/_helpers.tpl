{{/*
fedkseed.name: the chart's name, or nameOverride; 63 characters at most (a DNS label).
*/}}
{{- define "fedkseed.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
fedkseed.fullname: the release-qualified name every object's name starts with (fullnameOverride wins; the
release name alone when it already contains the chart's name).
*/}}
{{- define "fedkseed.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fedkseed.component.fullname: the name of one component's objects, e.g. "<fullname>-aggregator".
Call with (dict "root" $ "component" "aggregator").
*/}}
{{- define "fedkseed.component.fullname" -}}
{{- printf "%s-%s" (include "fedkseed.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
fedkseed.labels: the standard labels of every object (chart, release, name, version, managed-by).
*/}}
{{- define "fedkseed.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "fedkseed.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: fedkseed
{{- end }}

{{/*
fedkseed.component.labels: the standard labels plus the component's. Call with (dict "root" $ "component" "worker").
*/}}
{{- define "fedkseed.component.labels" -}}
{{ include "fedkseed.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
fedkseed.component.selectorLabels: the labels a component's Service, PDB and NetworkPolicy select its pods by
(immutable in a Deployment's selector: never add a changing label here).
*/}}
{{- define "fedkseed.component.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fedkseed.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
fedkseed.image: "registry/repository:tag" of an image value (registry optional; tag defaults to appVersion).
Call with (dict "image" .Values.image "root" $).
*/}}
{{- define "fedkseed.image" -}}
{{- $tag := default .root.Chart.AppVersion .image.tag }}
{{- if .image.registry }}
{{- printf "%s/%s:%s" .image.registry .image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/*
fedkseed.secretName: the Secret holding the run's token and join secrets (an existing one when given).
*/}}
{{- define "fedkseed.secretName" -}}
{{- default (printf "%s-secrets" (include "fedkseed.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/*
fedkseed.redisEnv: REDIS_PASSWORD from its Secret (the services read it as it is: no URL encoding needed) and
REDIS_URL without it: the chart's own Redis, or externalRedis.
*/}}
{{- define "fedkseed.redisEnv" -}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fedkseed.redisSecretName" . }}
      key: {{ include "fedkseed.redisSecretKey" . }}
{{- if .Values.redis.enabled }}
- name: REDIS_URL
  value: {{ printf "redis://%s:6379" (include "fedkseed.component.fullname" (dict "root" . "component" "redis")) | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "%s://%s:%d" (ternary "rediss" "redis" .Values.externalRedis.tls) .Values.externalRedis.host (int .Values.externalRedis.port) | quote }}
{{- if (include "fedkseed.redisTls" .) }}
- name: REDIS_TLS_CA_FILE
  value: /redis-tls/ca.crt
{{- if .Values.externalRedis.tlsClientCertificate }}
- name: REDIS_TLS_CERT_FILE
  value: /redis-tls/tls.crt
- name: REDIS_TLS_KEY_FILE
  value: /redis-tls/tls.key
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fedkseed.redisTls: "true" when the pods mount externalRedis.tlsSecret (an external Redis over TLS with its own CA).
*/}}
{{- define "fedkseed.redisTls" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.tls .Values.externalRedis.tlsSecret }}true{{- end }}
{{- end }}

{{/*
fedkseed.redisTlsMount and fedkseed.redisTlsVolume: externalRedis.tlsSecret at /redis-tls (read-only), when used.
*/}}
{{- define "fedkseed.redisTlsMount" -}}
{{- if (include "fedkseed.redisTls" .) }}
- name: redis-tls
  mountPath: /redis-tls
  readOnly: true
{{- end }}
{{- end }}

{{- define "fedkseed.redisTlsVolume" -}}
{{- if (include "fedkseed.redisTls" .) }}
- name: redis-tls
  secret:
    secretName: {{ .Values.externalRedis.tlsSecret }}
{{- end }}
{{- end }}

{{/*
fedkseed.redisSecretName: the Secret with the Redis password, and its key (fedkseed.redisSecretKey).
*/}}
{{- define "fedkseed.redisSecretName" -}}
{{- if .Values.redis.enabled }}
{{- default (printf "%s-redis" (include "fedkseed.fullname" .)) .Values.redis.auth.existingSecret }}
{{- else }}
{{- default (printf "%s-redis" (include "fedkseed.fullname" .)) .Values.externalRedis.existingSecret }}
{{- end }}
{{- end }}

{{/*
fedkseed.redisSecretKey: the key of the Redis password in fedkseed.redisSecretName.
*/}}
{{- define "fedkseed.redisSecretKey" -}}
{{- if .Values.redis.enabled }}{{ .Values.redis.auth.existingSecretPasswordKey }}{{ else }}{{ .Values.externalRedis.existingSecretPasswordKey }}{{ end }}
{{- end }}

{{/*
fedkseed.queueName: the BullMQ queue of the run's train jobs (one queue per run).
*/}}
{{- define "fedkseed.queueName" -}}
{{- printf "fedkseed-%s" .Values.run.runId }}
{{- end }}

{{/*
fedkseed.runEnv: the run configuration as the environment variables every service reads (docs/run-config.md).
*/}}
{{- define "fedkseed.runEnv" -}}
- name: RUN_ID
  value: {{ .Values.run.runId | quote }}
- name: RUN_SEED
  value: {{ .Values.run.runSeed | quote }}
- name: NUM_CANDIDATE_SEEDS
  value: {{ .Values.run.numCandidateSeeds | quote }}
- name: NUM_LOCAL_STEPS
  value: {{ .Values.run.numLocalSteps | quote }}
- name: ZO_EPS
  value: {{ .Values.run.zoEps | quote }}
- name: ZO_LR
  value: {{ .Values.run.zoLr | quote }}
- name: NUM_ROUNDS
  value: {{ .Values.run.numRounds | quote }}
- name: SEED_SAMPLING
  value: {{ .Values.run.seedSampling | quote }}
- name: BATCH_SIZE
  value: {{ .Values.run.batchSize | quote }}
- name: MAX_SEQUENCE_LENGTH
  value: {{ .Values.run.maxSequenceLength | quote }}
- name: SCALAR_CLIP
  value: {{ .Values.run.scalarClip | quote }}
- name: AGGREGATION_RULE
  value: {{ .Values.run.aggregationRule | quote }}
- name: AGGREGATION_TRIM_FRACTION
  value: {{ .Values.run.aggregationTrimFraction | quote }}
{{- end }}

{{/*
fedkseed.podSecurityContext: the pod runs as uid/gid 1000 (the images' user `node`), non-root, with the
RuntimeDefault seccomp profile.
*/}}
{{- define "fedkseed.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
fedkseed.containerSecurityContext: no privilege escalation, a read-only root filesystem (writable /tmp comes from
an emptyDir), every capability dropped.
*/}}
{{- define "fedkseed.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
fedkseed.probes: liveness on /healthz and readiness on /readyz of the http-metrics port.
*/}}
{{- define "fedkseed.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: http-metrics
  periodSeconds: 10
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /readyz
    port: http-metrics
  periodSeconds: 5
  failureThreshold: 3
{{- end }}

{{/*
fedkseed.tlsVolume: the TLS Secret as a volume (when tls.enabled), mounted at /tls by fedkseed.tlsMount.
*/}}
{{- define "fedkseed.tlsVolume" -}}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ include "fedkseed.tlsSecretName" . }}
{{- end }}
{{- end }}

{{/*
fedkseed.tlsSecretName: the TLS Secret: tls.existingSecret, or "<fullname>-tls" when cert-manager writes it.
*/}}
{{- define "fedkseed.tlsSecretName" -}}
{{- if .Values.tls.existingSecret }}
{{- .Values.tls.existingSecret }}
{{- else if .Values.tls.certManager.enabled }}
{{- printf "%s-tls" (include "fedkseed.fullname" .) }}
{{- else }}
{{- fail "tls.enabled needs tls.existingSecret, or tls.certManager.enabled to have one issued" }}
{{- end }}
{{- end }}

{{/*
fedkseed.tlsMount: where the TLS Secret is mounted (read-only), when tls.enabled.
*/}}
{{- define "fedkseed.tlsMount" -}}
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: /tls
  readOnly: true
{{- end }}
{{- end }}
