{{/* Chart name. */}}
{{- define "llava-stream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or fullnameOverride. */}}
{{- define "llava-stream.fullname" -}}
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

{{/* Labels common to every object. */}}
{{- define "llava-stream.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "llava-stream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llava-stream
{{- end }}

{{/* Selector labels of one role; call with (dict "root" $ "role" "vision"). */}}
{{- define "llava-stream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llava-stream.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{/* Name of the Secret with the Kafka client properties. */}}
{{- define "llava-stream.clientSecret" -}}
{{- if .Values.kafka.existingSecret }}{{ .Values.kafka.existingSecret }}{{ else }}{{ include "llava-stream.fullname" . }}-kafka-client{{ end }}
{{- end }}

{{/* Image reference; call with (dict "root" $ "override" $stage.image) or (dict "root" $ "override" dict). */}}
{{- define "llava-stream.image" -}}
{{- $repo := .root.Values.image.repository }}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag }}
{{- with .override }}
{{- if .repository }}{{ $repo = .repository }}{{ end }}
{{- if .tag }}{{ $tag = .tag }}{{ end }}
{{- end }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* Partitions of a topic in topics.list; call with (dict "root" $ "topic" "llava.vision-requests"). */}}
{{- define "llava-stream.partitions" -}}
{{- $n := 0 }}
{{- range .root.Values.topics.list }}
{{- if eq .name $.topic }}{{ $n = int .partitions }}{{ end }}
{{- end }}
{{- if eq $n 0 }}{{ fail (printf "topic %s is not in topics.list" .topic) }}{{ end }}
{{- $n }}
{{- end }}

{{/* Kafka arguments shared by every role. */}}
{{- define "llava-stream.kafkaArgs" -}}
- --bootstrap-servers
- {{ .Values.kafka.bootstrapServers | quote }}
- --schema-registry-url
- {{ .Values.kafka.schemaRegistryUrl | quote }}
- --client-config
- /etc/llava-stream/kafka/{{ .Values.kafka.secretKey }}
{{- end }}

{{/* The client-config volume. */}}
{{- define "llava-stream.clientConfigVolume" -}}
- name: kafka-client
  secret:
    secretName: {{ include "llava-stream.clientSecret" . }}
{{- end }}

{{/* Pod-level settings shared by every pod. */}}
{{- define "llava-stream.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.serviceAccountName }}
serviceAccountName: {{ .Values.serviceAccountName }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Stable identity of a topology or worker pod: its StatefulSet pod name (downward API), which survives restarts.
A worker passes it as --instance-id, from which it derives its transactional id (so a restarted pod fences its
dead self's open transaction at once instead of read_committed readers waiting for the transaction timeout) and
its group.instance.id (static membership: a restarted pod rejoins with its partitions, no rebalance). The
topology takes it as group.instance.id; call with (dict "root" $ "topology" true).
*/}}
{{- define "llava-stream.stableIdentity" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if .topology }}
- name: LLAVA_KAFKA_GROUP_INSTANCE_ID
  value: $(POD_NAME)
{{- end }}
{{- end }}

{{/*
Metrics arguments of a long-running process: serve /metrics on metrics.port on every address of the pod, so that
Prometheus reaches it at the pod's IP. Nothing when metrics.enabled is false (no endpoint).
*/}}
{{- define "llava-stream.metricsArgs" -}}
{{- if .Values.metrics.enabled }}
- --metrics-port
- {{ .Values.metrics.port | quote }}
- --metrics-host
- "0.0.0.0"
{{- end }}
{{- end }}

{{/* The container's named metrics port (what the ServiceMonitor's and PodMonitor's endpoints name). */}}
{{- define "llava-stream.metricsContainerPort" -}}
{{- if .Values.metrics.enabled }}
ports:
  - name: metrics
    containerPort: {{ .Values.metrics.port }}
    protocol: TCP
{{- end }}
{{- end }}

{{/* The roles deployed (topology, then the enabled stages), as a list. */}}
{{- define "llava-stream.roles" -}}
{{- $roles := list }}
{{- if .Values.topology.enabled }}{{ $roles = append $roles "topology" }}{{ end }}
{{- range $stage, $s := .Values.stages }}
{{- if $s.enabled }}{{ $roles = append $roles $stage }}{{ end }}
{{- end }}
{{- toJson $roles }}
{{- end }}

{{/* Selector of every role's pods and Services of this release (each role adds app.kubernetes.io/component). */}}
{{- define "llava-stream.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "llava-stream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
