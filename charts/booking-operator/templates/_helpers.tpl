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
every namespace, a Role's in each watched namespace otherwise. Exactly what the controller uses,
verb by verb (operator/test/integration/helm.test.ts runs it under these rules with the audit log
on and fails on any difference); no wildcards. Keep in step with cdk8s/operator.ts (a test compares them).
- Owned kinds: informers list and watch them (label-scoped) and read them from that cache, so no
  get; server-side apply is a PATCH, which the apiserver also authorizes as create when the object
  does not exist yet; prune DELETEs. No PUT (update) anywhere but the Lease.
- Secrets also: get (a credential not in the cache yet); the master password is a POST (create
  only, so that it is never overwritten).
- Platforms: the finalizer and the ledger annotation are JSON/merge PATCHes; status is applied.
- finalizers `update`: never a request of its own; OwnerReferencesPermissionEnforcement (on in
  OpenShift, for one) requires it to set blockOwnerDeletion on the owner references to a platform.
- Events: created, never patched (repeats are suppressed in the operator, not aggregated).
*/}}
{{- define "booking-operator.namespacedRules" -}}
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms/status"]
  verbs: ["patch"]
- apiGroups: ["platform.booking.io"]
  resources: ["bookingplatforms/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims", "serviceaccounts", "services"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# a failed migrations Job is reported with its pod's reason (read only then)
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["rds.services.k8s.aws"]
  resources: ["dbclusters", "dbinstances", "dbsubnetgroups"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["elasticache.services.k8s.aws"]
  resources: ["cachesubnetgroups", "replicationgroups"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["efs.services.k8s.aws"]
  resources: ["accesspoints", "filesystems", "mounttargets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["s3.services.k8s.aws"]
  resources: ["buckets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# managed IAM roles with provisioner ack (ACK deletes the IAM role when the object goes)
- apiGroups: ["iam.services.k8s.aws"]
  resources: ["roles"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# application secrets with delivery external-secrets (External Secrets Operator writes the Secret)
- apiGroups: ["external-secrets.io"]
  resources: ["externalsecrets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
{{- end }}

{{/*
Rules for the cluster-scoped kinds: only PersistentVolumes. The WhatsApp session lives on the
platform's own EFS file system (made through ACK or the SDK), mounted through a static
PersistentVolume the operator writes and binds to the platform's claim (claimRef); a
PersistentVolume has no namespace, so these rights are cluster-wide even when only some namespaces
are watched. The informer only sees the operator's own volumes (label selector), but RBAC cannot
narrow by label: the rights reach every PersistentVolume.
*/}}
{{- define "booking-operator.clusterScopedRules" -}}
- apiGroups: [""]
  resources: ["persistentvolumes"]
  verbs: ["list", "watch", "create", "patch", "delete"]
{{- end }}
