/**
 * Every name and label the operator gives to what it creates lives here.
 *
 * Invariants: names are explicit and deterministic (a Deployment's selector is immutable, so the
 * selector labels never change for the life of a platform). AWS identifiers are one pure function
 * of (cluster, namespace, name): a readable stem plus a hash of all three, always present, so two
 * platforms (or one platform in two clusters) never share an identifier, whatever their names.
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
/** PersistentVolumes are cluster-scoped: the platform's identity goes into the name. */
export const whatsappVolumeName = (p: BookingPlatform, ctx: RenderContext) => awsName(p, ctx, 'whatsapp-auth', 63);

/** What the renderers need to know about where they run: the operator's cluster identity. */
export interface RenderContext {
  /** Names this cluster among all clusters sharing an AWS account (operator setting BOOKING_CLUSTER_NAME). */
  clusterName: string;
}

/** The CLI's cluster when none is given, and the renderers' until a caller passes its own. */
export const DEFAULT_CLUSTER_NAME = 'default';
export const DEFAULT_CONTEXT: RenderContext = { clusterName: DEFAULT_CLUSTER_NAME };
/** A cluster name is a DNS label: it goes into tags and, hashed, into every AWS identifier. */
export const CLUSTER_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const PLATFORM_TAG = 'booking.io/platform';
export const CLUSTER_TAG = 'booking.io/cluster';

const PREFIX = 'bkp';
/** 40 bits: a collision between two platforms of one account is improbable, and the tags catch it. */
const IDENTITY_HASH_LENGTH = 10;

/** The hash that makes AWS identifiers injective: `cluster/namespace/name` (none may contain `/`). */
export function identityHash(p: BookingPlatform, ctx: RenderContext): string {
  const key = `${ctx.clusterName}/${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
  return createHash('sha256').update(key).digest('hex').slice(0, IDENTITY_HASH_LENGTH);
}

/**
 * A deterministic AWS identifier `bkp-<namespace>-<name>-<hash>[-suffix]`, at most `max`
 * characters. Only the hash tells platforms apart; the stem is for people and is cut first. The
 * result is lower case letters, digits and single hyphens, starts with a letter and ends with a
 * letter or digit: valid for RDS, ElastiCache, EFS and S3 alike (bucket names: no dots, no `xn--`
 * prefix, no `-s3alias` suffix).
 */
export function awsName(p: BookingPlatform, ctx: RenderContext, suffix = '', max = 63): string {
  const tail = [identityHash(p, ctx), dnsSafe(suffix)].filter(Boolean).join('-');
  if (PREFIX.length + 1 + tail.length > max) throw new Error(`awsName: ${max} characters cannot hold "${PREFIX}-${tail}"`);
  const room = max - PREFIX.length - tail.length - 2;
  const stem = dnsSafe(`${p.metadata.namespace ?? 'default'}-${p.metadata.name}`).slice(0, Math.max(0, room)).replace(/-+$/, '');
  return [PREFIX, stem, tail].filter(Boolean).join('-');
}

/** Lower case letters, digits and single inner hyphens. */
function dnsSafe(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** AWS tags naming cluster, platform and environment (the owner check reads the first two), plus the user's own. */
export function awsTags(p: BookingPlatform, ctx: RenderContext): Record<string, string> {
  return {
    ...(p.spec.aws?.tags ?? {}),
    [PLATFORM_TAG]: `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`,
    [CLUSTER_TAG]: ctx.clusterName,
    'booking.io/environment': p.spec.environment,
    'booking.io/managed-by': MANAGED_BY,
  };
}

/** Short stable hash of any JSON-able value (names of immutable objects, pod template rolls). */
export function shortHash(value: unknown, length = 10): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
