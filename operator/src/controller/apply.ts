/**
 * Deciding whether a desired object needs a write (pure). A no-op reconcile must make zero
 * writes, so each applied object carries the hash of what we last applied; we skip the apply when
 * that hash matches *and* every field we set still has our value in the live object (anything
 * else — a changed image, a deleted object — is drift and gets restored). Quantities are compared
 * in the form the apiserver stores (`1000m` is stored as `1`), or every pass would see drift.
 */
import { sameQuantity, type CanonicalOptions } from '../api/canonical-quantity.ts';
import type { KubeObject } from '../render/index.ts';
import { FIELD_MANAGER, shortHash } from '../render/names.ts';

export const APPLIED_HASH_ANNOTATION = 'platform.booking.io/applied-hash';

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** The object as applied: owner reference (namespaced only) and the hash of its desired state. */
export function prepare(desired: KubeObject, owner: Owner | undefined): KubeObject {
  const hash = shortHash(desired, 16);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...(desired.metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash },
      ...(owner && desired.metadata.namespace ? { ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
  };
}

export type Verdict = 'create' | 'update' | 'drift' | 'up-to-date';

/** What applying `prepared` over `live` would be. */
export function verdict(prepared: KubeObject, live: { metadata?: { annotations?: Record<string, string> } } | undefined): Verdict {
  if (!live) return 'create';
  const hash = prepared.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== hash) return 'update';
  return contains(live, prepared) ? 'up-to-date' : 'drift';
}

/**
 * Whether `live` holds every value of `want`. Empty arrays, empty objects and empty strings in
 * `want` match an absent field (the apiserver omits them). `keys` is the path to here (object
 * keys, `[]` for array items): it tells quantity fields, compared by their stored form.
 */
export function contains(live: unknown, want: unknown, keys: readonly string[] = []): boolean {
  if (isEmpty(want)) return live === undefined || isEmpty(live) || deepEq(live, want);
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((w, i) => contains(live[i], w, [...keys, '[]']));
  if (want && typeof want === 'object') {
    if (!live || typeof live !== 'object') return false;
    return Object.entries(want).every(([k, v]) => contains((live as Record<string, unknown>)[k], v, [...keys, k]));
  }
  if (live === want) return true;
  const quantity = quantityAt(keys);
  return quantity !== undefined && (typeof want === 'string' || typeof want === 'number') && (typeof live === 'string' || typeof live === 'number') && sameQuantity(want, live, quantity);
}

/**
 * How the apiserver stores the value at `keys`, when it is a quantity of a built-in kind: the
 * values of a ResourceList (`resources.requests`/`limits` of containers and PVCs) and an
 * emptyDir's `sizeLimit`. Elsewhere (custom resources, env values) a string is kept as sent.
 */
function quantityAt(keys: readonly string[]): CanonicalOptions | undefined {
  const [grandparent, parent, key] = keys.slice(-3);
  if (key === 'sizeLimit' && parent === 'emptyDir') return {};
  if (grandparent === 'resources' && (parent === 'requests' || parent === 'limits') && key !== undefined) return { resourceList: true };
  return undefined;
}

/** The first field path where `live` lacks a value of `want` (for drift logs); undefined if none. */
export function firstDifference(live: unknown, want: unknown, path = '', keys: readonly string[] = []): string | undefined {
  if (contains(live, want, keys)) return undefined;
  if (want && typeof want === 'object' && live && typeof live === 'object' && !isEmpty(want)) {
    if (Array.isArray(want) && (!Array.isArray(live) || live.length !== want.length)) return `${path} (length)`;
    for (const [k, v] of Object.entries(want)) {
      const d = firstDifference((live as Record<string, unknown>)[k], v, Array.isArray(want) ? `${path}[${k}]` : `${path}.${k}`, [...keys, Array.isArray(want) ? '[]' : k]);
      if (d !== undefined) return d;
    }
  }
  return path || '.';
}

function isEmpty(v: unknown): boolean {
  return v === '' || (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

function deepEq(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The second field manager of Kubernetes' recipe for handing `spec.replicas` over to an autoscaler. */
export const HANDOVER_MANAGER = 'handover-to-hpa';

interface LiveObject {
  spec?: { replicas?: unknown };
  metadata?: { managedFields?: Array<{ manager?: string; operation?: string; fieldsV1?: Record<string, any> }> };
}

/**
 * The replicas-only object to apply as HANDOVER_MANAGER (without force) before `prepared`, or
 * undefined when none is needed. When a workload starts autoscaling, its rendered object stops
 * setting `spec.replicas`; if our manager still owns that field, our apply would remove it and the
 * Deployment would fall to the default of 1 replica. Kubernetes' "Transferring ownership" recipe:
 * another manager first applies the live value, so the field is shared; our apply then only
 * drops our claim, the value stays, and the autoscaler's first scale takes the field over.
 */
export function replicasHandover(prepared: KubeObject, live: LiveObject | undefined): KubeObject | undefined {
  const replicas = live?.spec?.replicas;
  if (typeof replicas !== 'number' || (prepared.spec as { replicas?: unknown } | undefined)?.replicas !== undefined) return undefined;
  const ours = (live?.metadata?.managedFields ?? []).some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && m.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined);
  if (!ours) return undefined;
  const { name, namespace } = prepared.metadata;
  return { apiVersion: prepared.apiVersion, kind: prepared.kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { replicas } };
}

export function objectKey(o: { apiVersion?: string; kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}
