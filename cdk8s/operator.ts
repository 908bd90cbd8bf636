/**
 * The operator's own objects for GitOps, in the same shape as the Helm chart renders them (a test
 * compares the two): Namespace, CRD, ServiceAccount, RBAC, Deployment, PodDisruptionBudget, Service.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OPERATOR_NAMESPACE, type EnvironmentConfig } from './config.ts';

/** A manifest as written to the output files. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const CHART = parse(readFileSync(new URL('../charts/booking-operator/Chart.yaml', import.meta.url), 'utf8')) as { appVersion: string };
export const APP_VERSION = String(CHART.appVersion);
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/booking-io/booking-operator';
export const CRD_FILE = new URL('../crds/platform.booking.io_bookingplatforms.yaml', import.meta.url);
export const NAME = 'booking-operator';

export const SELECTOR_LABELS = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME };
export const LABELS = {
  ...SELECTOR_LABELS,
  'app.kubernetes.io/version': APP_VERSION,
  'app.kubernetes.io/component': 'operator',
  'app.kubernetes.io/part-of': 'booking-operator',
  'app.kubernetes.io/managed-by': 'cdk8s',
};

/** The verbs on a kind the operator owns: informers list and watch, apply PATCHes (create when new), prune DELETEs. */
const OWNED = ['list', 'watch', 'create', 'patch', 'delete'];

/** What the operator reads and writes in the namespaces it watches (the chart's namespacedRules, which say why). */
export const NAMESPACED_RULES: PolicyRule[] = [
  { apiGroups: ['platform.booking.io'], resources: ['bookingplatforms'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['platform.booking.io'], resources: ['bookingplatforms/status'], verbs: ['patch'] },
  { apiGroups: ['platform.booking.io'], resources: ['bookingplatforms/finalizers'], verbs: ['update'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['persistentvolumeclaims', 'serviceaccounts', 'services'], verbs: OWNED },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  // a failed migrations Job is reported with its pod's reason (read only then)
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: OWNED },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: OWNED },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: OWNED },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: OWNED },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: OWNED },
  { apiGroups: ['rds.services.k8s.aws'], resources: ['dbclusters', 'dbinstances', 'dbsubnetgroups'], verbs: OWNED },
  { apiGroups: ['elasticache.services.k8s.aws'], resources: ['cachesubnetgroups', 'replicationgroups'], verbs: OWNED },
  { apiGroups: ['efs.services.k8s.aws'], resources: ['accesspoints', 'filesystems', 'mounttargets'], verbs: OWNED },
  { apiGroups: ['s3.services.k8s.aws'], resources: ['buckets'], verbs: OWNED },
  // managed IAM roles with provisioner ack
  { apiGroups: ['iam.services.k8s.aws'], resources: ['roles'], verbs: OWNED },
  // application secrets with delivery external-secrets
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: OWNED },
];
/** Cluster-scoped kinds the operator writes: PersistentVolumes (static EFS volumes). */
export const CLUSTER_SCOPED_RULES: PolicyRule[] = [{ apiGroups: [''], resources: ['persistentvolumes'], verbs: OWNED }];
export const LEASE_RULES: PolicyRule[] = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

/** Argo CD sync-wave (and sync-options) annotations. */
export function argo(wave: number, syncOptions?: string): Record<string, string> {
  return { 'argocd.argoproj.io/sync-wave': String(wave), ...(syncOptions ? { 'argocd.argoproj.io/sync-options': syncOptions } : {}) };
}

const SUBJECTS = [{ kind: 'ServiceAccount', name: NAME, namespace: OPERATOR_NAMESPACE }];

/** A Role and RoleBinding giving the operator the namespaced rules in one watched namespace. */
export function watchedNamespaceRbac(namespace: string, annotations: Record<string, string>): Manifest[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: NAME, namespace, labels: LABELS, annotations }, rules: NAMESPACED_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: NAME, namespace, labels: LABELS, annotations },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
      subjects: SUBJECTS,
    },
  ];
}

/** Pod Security "restricted", enforced, audited and warned. */
export const RESTRICTED_NAMESPACE_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};

/** Everything 00-operator.yaml holds, in apply order. */
export function operatorManifests(env: EnvironmentConfig): Manifest[] {
  const op = env.operator;
  const ns = OPERATOR_NAMESPACE;
  const clusterWide = op.watchNamespaces.length === 0;
  const clusterRoleName = clusterWide ? NAME : `${NAME}-cluster`;
  const crd = parse(readFileSync(CRD_FILE, 'utf8')) as Manifest;
  // never prune or delete the CRD from Git: that would delete every BookingPlatform in the cluster
  crd.metadata = { ...crd.metadata, annotations: { ...crd.metadata.annotations, ...argo(-2, 'Prune=false,Delete=false') } };

  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...LABELS, ...RESTRICTED_NAMESPACE_LABELS }, annotations: argo(-2, 'Prune=false') } },
    crd,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: NAME, namespace: ns, labels: LABELS, annotations: { ...(op.iamRoleArn ? { 'eks.amazonaws.com/role-arn': op.iamRoleArn } : {}), ...argo(-1) } },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterRoleName, labels: LABELS, annotations: argo(-1) },
      rules: clusterWide ? [...NAMESPACED_RULES, ...CLUSTER_SCOPED_RULES] : CLUSTER_SCOPED_RULES,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterRoleName, labels: LABELS, annotations: argo(-1) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
      subjects: SUBJECTS,
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `${NAME}-leader-election`, namespace: ns, labels: LABELS, annotations: argo(-1) }, rules: LEASE_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${NAME}-leader-election`, namespace: ns, labels: LABELS, annotations: argo(-1) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-leader-election` },
      subjects: SUBJECTS,
    },
    deployment(env),
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: NAME, namespace: ns, labels: LABELS, annotations: argo(0) },
      spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR_LABELS } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${NAME}-metrics`, namespace: ns, labels: LABELS, annotations: argo(0) },
      spec: { type: 'ClusterIP', selector: SELECTOR_LABELS, ports: [{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }] },
    },
  ];
}

function deployment(env: EnvironmentConfig): Manifest {
  const op = env.operator;
  const restricted = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 };
  const spread = (topologyKey: string) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: SELECTOR_LABELS } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: OPERATOR_NAMESPACE, labels: LABELS, annotations: argo(0) },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: SELECTOR_LABELS },
      template: {
        metadata: { labels: LABELS, annotations: { 'kubectl.kubernetes.io/default-container': 'operator' } },
        spec: {
          serviceAccountName: NAME,
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: { ...restricted, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'operator',
              image: `${op.imageRepository ?? DEFAULT_IMAGE_REPOSITORY}:${op.imageTag}`,
              imagePullPolicy: 'IfNotPresent',
              workingDir: '/app',
              // the image's ENTRYPOINT runs node with its measured memory flags (Dockerfile)
              args: ['run'],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'WATCH_NAMESPACES', value: op.watchNamespaces.join(',') },
                { name: 'LOG_LEVEL', value: op.logLevel ?? 'info' },
                { name: 'AWS_REGION', value: op.awsRegion },
                { name: 'BOOKING_CLUSTER_NAME', value: op.clusterName },
                { name: 'LEADER_ELECT', value: 'true' },
                { name: 'METRICS_PORT', value: '8080' },
                { name: 'HEALTH_PORT', value: '8081' },
              ],
              ports: [
                { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
                { name: 'health', containerPort: 8081, protocol: 'TCP' },
              ],
              livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              securityContext: {
                ...restricted,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
        },
      },
    },
  };
}
