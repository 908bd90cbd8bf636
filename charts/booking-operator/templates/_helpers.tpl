{{/* Names, labels and the RBAC rule lists shared by the templates. */}}

{{- define "booking-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name alone when it already contains the chart name. */}}
{{- define "booking-operator.fullname" -}}
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

{{- define "booking-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "booking-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "booking-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "booking-operator.labels" -}}
helm.sh/chart: {{ include "booking-operator.chart" . }}
{{ include "booking-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: booking-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "booking-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "booking-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "booking-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Whether prometheus-operator objects can be rendered at all. */}}
{{- define "booking-operator.hasMonitoringAPI" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- end }}

{{/*
Rules for the namespaced kinds the operator reads and writes: a ClusterRole's when it watches
every namespace, a Role's in each watched namespace otherwise. Exactly what the controller uses;
no wildcards. Keep in step with cdk8s/operator.ts (a test compares them).
*/}}
{{- define "booking-operator.namespacedRules" -}}
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps", "persistentvolumeclaims", "secrets", "serviceaccounts", "services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["rds.services.k8s.aws"]
  resources: ["dbclusters", "dbinstances", "dbsubnetgroups"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["elasticache.services.k8s.aws"]
  resources: ["cachesubnetgroups", "replicationgroups"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["efs.services.k8s.aws"]
  resources: ["accesspoints", "filesystems", "mounttargets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["s3.services.k8s.aws"]
  resources: ["buckets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}

{{/* Rules for the cluster-scoped kinds: only PersistentVolumes (static EFS volumes). */}}
{{- define "booking-operator.clusterScopedRules" -}}
- apiGroups: [""]
  resources: ["persistentvolumes"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}
