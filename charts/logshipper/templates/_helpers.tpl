{{/* Names and labels shared by every template. */}}
{{- define "logshipper.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "logshipper.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "logshipper.labels" -}}
{{ include "logshipper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "logshipper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "logshipper.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "logshipper.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "logshipper.sidecarImage" -}}
{{- default (include "logshipper.image" .) .Values.sidecar.image -}}
{{- end -}}

{{/* What the operator does in the namespaces it watches (all: a ClusterRole; one: a Role there). */}}
{{- define "logshipper.watchRules" -}}
# get: the webhook reads a LogShipper its cache does not have (yet). patch: the finalizer that keeps
# a deleted LogShipper (and so its ConfigMap) while injected pods still mount the ConfigMap.
- apiGroups: [logshipper.io]
  resources: [logshippers]
  verbs: [{{ if .Values.webhook.enabled }}get, {{ end }}list, watch, patch]
- apiGroups: [logshipper.io]
  resources: [logshippers/status]
  verbs: [patch]
# The rendered agent configuration, one ConfigMap per LogShipper (server-side apply).
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, patch]
# Only to check that the Secrets a LogShipper references exist with their keys (read at reconcile,
# never listed or cached); their values are never copied.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
# Pods: injected ones counted into LogShipper status, annotated ones admitted without the sidecar reported.
# get, patch: an injected sidecar's delivery report is checked against its pod and recorded on it
# (annotation logshipper.io/delivery); only injected sidecars report.
- apiGroups: [""]
  resources: [pods]
  verbs: [{{ if .Values.webhook.enabled }}get, {{ end }}list, watch{{ if .Values.webhook.enabled }}, patch{{ end }}]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}

{{/* "true" when a Prometheus Operator object is to be rendered: enabled, and its CRDs served or force. */}}
{{- define "logshipper.monitoringObject" -}}
{{- if and .values.enabled (or .values.force (.root.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) -}}true{{- end -}}
{{- end -}}

{{/* The job label of the scraped series (set by the monitors, selected by the alerts). */}}
{{- define "logshipper.operatorJob" -}}
{{- printf "%s-operator" (include "logshipper.fullname" .) -}}
{{- end -}}
{{- define "logshipper.sidecarJob" -}}
{{- printf "%s-sidecar" (include "logshipper.fullname" .) -}}
{{- end -}}

{{/*
A counter that rose within .window: increase() > 0, or the series appeared within it (a labelled
counter is born at its first increment, which increase() cannot see).
*/}}
{{- define "logshipper.recentIncrease" -}}
(increase({{ .metric }}[{{ .window }}]) > 0 or ({{ .metric }} > 0 unless {{ .metric }} offset {{ .window }}))
{{- end -}}

{{/* The CRD upgrade hook's objects: not the operator's selector labels (its Service and PDB select those). */}}
{{- define "logshipper.crdUpgradeLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: crd-upgrade
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
