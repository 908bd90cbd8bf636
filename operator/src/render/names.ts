/**
 * Every name and label the operator gives to what it creates lives here.
 *
 * Invariants: names are explicit and deterministic (a Deployment's selector is immutable, so the
 * selector labels never change for the life of a platform); AWS identifiers fit AWS's length
 * limits by a stable hash suffix, never by random.
 */
import { createHash } from 'node:crypto';
import type { BookingPlatform } from '../api/types.generated.ts';

export const MANAGED_BY = 'booking-operator';
export const FIELD_MANAGER = 'booking-operator';
export const PLATFORM_LABEL = 'platform.booking.io/name';
export const ENVIRONMENT_LABEL = 'platform.booking.io/environment';
export const CONNECTION_HASH_ANNOTATION = 'platform.booking.io/connection-hash';

/** Labels selecting everything one platform owns (the prune selector). */
export function ownedSelector(p: BookingPlatform): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': MANAGED_BY, [PLATFORM_LABEL]: p.metadata.name };
}

/** Immutable pod selector of one component. */
export function selectorLabels(p: BookingPlatform, component: string): Record<string, string> {
  return { 'app.kubernetes.io/instance': p.metadata.name, 'app.kubernetes.io/name': component };
}

/** All labels of one component's objects. */
export function labels(p: BookingPlatform, component: string, role: string): Record<string, string> {
  return {
    ...selectorLabels(p, component),
    'app.kubernetes.io/component': role,
    'app.kubernetes.io/part-of': 'booking-platform',
    ...ownedSelector(p),
    [ENVIRONMENT_LABEL]: p.spec.environment,
  };
}

/** Name of a namespaced child object: `<platform>-<component>`. */
export function childName(p: BookingPlatform, component: string): string {
  return `${p.metadata.name}-${component}`;
}

export const connectionSecretName = (p: BookingPlatform) => childName(p, 'connection');
export const databaseMasterSecretName = (p: BookingPlatform) => childName(p, 'db-master');
export const whatsappClaimName = (p: BookingPlatform) => childName(p, 'whatsapp-auth');
/** PersistentVolumes are cluster-scoped: the namespace goes into the name. */
export const whatsappVolumeName = (p: BookingPlatform) => awsName(p, 'whatsapp-auth', 63);

/**
 * A deterministic AWS identifier `bkp-<namespace>-<name>[-suffix]`, lower case, at most `max`
 * characters; when too long, the base is cut and an 8-character hash of the full name appended.
 */
export function awsName(p: BookingPlatform, suffix = '', max = 63): string {
  const full = ['bkp', p.metadata.namespace ?? 'default', p.metadata.name, suffix].filter(Boolean).join('-').toLowerCase();
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, max - 9).replace(/-+$/, '')}-${hash}`;
}

/** AWS tags naming platform and environment, plus the user's own. */
export function awsTags(p: BookingPlatform): Record<string, string> {
  return {
    ...(p.spec.aws?.tags ?? {}),
    'booking.io/platform': `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`,
    'booking.io/environment': p.spec.environment,
    'booking.io/managed-by': MANAGED_BY,
  };
}

/** Short stable hash of any JSON-able value (names of immutable objects, pod template rolls). */
export function shortHash(value: unknown, length = 10): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
