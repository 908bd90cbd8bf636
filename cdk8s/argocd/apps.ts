/**
 * argocd.yaml: the AppProject `booking` and two Applications over this environment's folder:
 * `booking-operator` (00-operator.yaml, wave -1) before `booking-platforms-<env>` (10-platforms.yaml, wave 1).
 */
import { OPERATOR_NAMESPACE, SYSTEM_NAMESPACES, type EnvironmentConfig, type EnvironmentName } from '../config.ts';
import { argo, type Manifest } from '../operator.ts';

export const ARGOCD_NAMESPACE = 'argocd';
export const PROJECT = 'booking';
export const IN_CLUSTER = 'https://kubernetes.default.svc';
export const OPERATOR_FILE = '00-operator.yaml';
export const PLATFORMS_FILE = '10-platforms.yaml';
/** Order of the Applications when an app-of-apps syncs argocd.yaml. */
export const APP_WAVES = { project: -2, operator: -1, platforms: 1 } as const;

const SYNC_OPTIONS = ['ServerSideApply=true', 'CreateNamespace=false'];
/**
 * Platforms are pruned in the background: Argo CD's default (foreground) would have the garbage
 * collector delete the platform's ACK objects before the operator's finalizer hands each to ACK
 * with its deletion policy.
 */
const PLATFORMS_SYNC_OPTIONS = [...SYNC_OPTIONS, 'PrunePropagationPolicy=background'];
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
  const labels = { 'app.kubernetes.io/part-of': 'booking-operator', 'platform.booking.io/environment': envName };

  // every object names its namespace; the destination namespace is only the default
  const application = (name: string, wave: number, file: string, syncOptions: string[]): Manifest => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ARGOCD_NAMESPACE, labels, annotations: argo(wave) },
    spec: {
      project: PROJECT,
      source: { repoURL: env.argocd.repoURL, targetRevision: env.argocd.targetRevision, path: env.argocd.path, directory: { include: file } },
      destination: { server, namespace: OPERATOR_NAMESPACE },
      syncPolicy: {
        automated,
        syncOptions,
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
        // Every namespace but the system ones, not a list of today's tenants: the commit that
        // removes a tenant must still let Argo CD prune its platform (and then its namespace) there;
        // a list built from the remaining tenants refuses ("namespace … is not permitted in project").
        // The Namespace kind is cluster-scoped and whitelisted, so a list never bounded much anyway.
        destinations: [...SYSTEM_NAMESPACES.map((ns) => ({ server, namespace: `!${ns}` })), { server, namespace: '*' }],
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
    application('booking-operator', APP_WAVES.operator, OPERATOR_FILE, SYNC_OPTIONS),
    application(`booking-platforms-${envName}`, APP_WAVES.platforms, PLATFORMS_FILE, PLATFORMS_SYNC_OPTIONS),
  ];
}
