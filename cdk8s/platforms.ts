/**
 * 10-platforms.yaml: per tenant a Namespace (Pod Security "restricted") and its BookingPlatform;
 * when the operator watches listed namespaces only, also the tenant's Role and RoleBinding for it.
 */
import { tenantPlatform, type EnvironmentConfig, type EnvironmentName } from './config.ts';
import { RESTRICTED_NAMESPACE_LABELS, argo, watchedNamespaceRbac, type Manifest } from './operator.ts';

/** Sync waves inside the platforms Application: namespaces, then RBAC, then the platforms. */
export const PLATFORM_WAVES = { namespace: -1, rbac: 0, platform: 1 } as const;

export function platformManifests(envName: EnvironmentName, env: EnvironmentConfig): Manifest[] {
  const namespaced = env.operator.watchNamespaces.length > 0;
  // tenants in a stable order, whatever the order in config.ts
  const tenants = [...env.tenants].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return tenants.flatMap((tenant): Manifest[] => {
    const labels = { 'app.kubernetes.io/part-of': 'booking-platform', 'platform.booking.io/tenant': tenant.name, 'platform.booking.io/environment': envName };
    return [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: tenant.namespace, labels: { ...labels, ...RESTRICTED_NAMESPACE_LABELS }, annotations: argo(PLATFORM_WAVES.namespace, 'PruneLast=true') },
      },
      ...(namespaced ? watchedNamespaceRbac(tenant.namespace, argo(PLATFORM_WAVES.rbac, 'PruneLast=true')) : []),
      {
        ...tenantPlatform(tenant),
        metadata: { name: tenant.name, namespace: tenant.namespace, labels, annotations: argo(PLATFORM_WAVES.platform, 'SkipDryRunOnMissingResource=true') },
      },
    ];
  });
}
