/**
 * argocd.yaml: the AppProject `booking` and two Applications over this environment's folder:
 * `booking-operator` (00-operator.yaml, wave -1) before `booking-platforms-<env>` (10-platforms.yaml, wave 1).
 */
import { OPERATOR_NAMESPACE, type EnvironmentConfig, type EnvironmentName } from '../config.ts';
import { argo, type Manifest } from '../operator.ts';

export const ARGOCD_NAMESPACE = 'argocd';
export const PROJECT = 'booking';
export const IN_CLUSTER = 'https://kubernetes.default.svc';
export const OPERATOR_FILE = '00-operator.yaml';
export const PLATFORMS_FILE = '10-platforms.yaml';
/** Order of the Applications when an app-of-apps syncs argocd.yaml. */
export const APP_WAVES = { project: -2, operator: -1, platforms: 1 } as const;

const SYNC_OPTIONS = ['ServerSideApply=true', 'CreateNamespace=false'];
const IGNORE_DIFFERENCES = [
  // replicas belong to HorizontalPodAutoscalers where there is one
  { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
  // the operator writes status
  { group: 'platform.booking.io', kind: 'BookingPlatform', jsonPointers: ['/status'] },
];

export function argocdManifests(envName: EnvironmentName, env: EnvironmentConfig): Manifest[] {
  const server = env.argocd.destinationServer ?? IN_CLUSTER;
  // staging heals drift by itself; production reports it and waits for a human
  const automated = envName === 'production' ? { prune: true, selfHeal: false } : { prune: true, selfHeal: true };
  const tenantNamespaces = [...new Set(env.tenants.map((t) => t.namespace))].sort();
  const labels = { 'app.kubernetes.io/part-of': 'booking-operator', 'platform.booking.io/environment': envName };

  // every object names its namespace; the destination namespace is only the default
  const application = (name: string, wave: number, file: string): Manifest => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ARGOCD_NAMESPACE, labels, annotations: argo(wave) },
    spec: {
      project: PROJECT,
      source: { repoURL: env.argocd.repoURL, targetRevision: env.argocd.targetRevision, path: env.argocd.path, directory: { include: file } },
      destination: { server, namespace: OPERATOR_NAMESPACE },
      syncPolicy: {
        automated,
        syncOptions: SYNC_OPTIONS,
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
      ignoreDifferences: IGNORE_DIFFERENCES,
      revisionHistoryLimit: 10,
    },
  });

  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: PROJECT, namespace: ARGOCD_NAMESPACE, labels, annotations: argo(APP_WAVES.project) },
      spec: {
        description: `booking-operator and its tenants (${envName})`,
        sourceRepos: [env.argocd.repoURL],
        destinations: [OPERATOR_NAMESPACE, ...tenantNamespaces].map((namespace) => ({ server, namespace })),
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace' },
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
        ],
        namespaceResourceWhitelist: [
          { group: '', kind: 'ServiceAccount' },
          { group: '', kind: 'Service' },
          { group: 'apps', kind: 'Deployment' },
          { group: 'policy', kind: 'PodDisruptionBudget' },
          { group: 'rbac.authorization.k8s.io', kind: 'Role' },
          { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
          { group: 'platform.booking.io', kind: 'BookingPlatform' },
        ],
      },
    },
    application('booking-operator', APP_WAVES.operator, OPERATOR_FILE),
    application(`booking-platforms-${envName}`, APP_WAVES.platforms, PLATFORMS_FILE),
  ];
}
