{{/* The name of every object: the release's, with the chart's name added unless it has it. */}}
{{- define "customer-graph.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* What selects this release's pods; never changes across upgrades. */}}
{{- define "customer-graph.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "customer-graph.labels" -}}
{{ include "customer-graph.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The config file: values.config, else the chart's example. */}}
{{- define "customer-graph.config" -}}
{{- .Values.config | default (.Files.Get "files/gateway.toml") -}}
{{- end -}}
