/**
 * Deciding whether a desired object needs a write (pure). A no-op reconcile must make zero
 * writes, so each applied object carries the hash of what we last applied; we skip the apply when
 * that hash matches *and* every field we set still has our value in the live object (anything
 * else — a changed image, a deleted object — is drift and gets restored).
 */
import type { KubeObject } from '../render/index.ts';
import { shortHash } from '../render/names.ts';

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
 * `want` match an absent field (the apiserver omits them).
 */
export function contains(live: unknown, want: unknown): boolean {
  if (isEmpty(want)) return live === undefined || isEmpty(live) || deepEq(live, want);
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((w, i) => contains(live[i], w));
  if (want && typeof want === 'object') {
    if (!live || typeof live !== 'object') return false;
    return Object.entries(want).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
  }
  return live === want;
}

/** The first field path where `live` lacks a value of `want` (for drift logs); undefined if none. */
export function firstDifference(live: unknown, want: unknown, path = ''): string | undefined {
  if (contains(live, want)) return undefined;
  if (want && typeof want === 'object' && live && typeof live === 'object' && !isEmpty(want)) {
    if (Array.isArray(want) && (!Array.isArray(live) || live.length !== want.length)) return `${path} (length)`;
    for (const [k, v] of Object.entries(want)) {
      const d = firstDifference((live as Record<string, unknown>)[k], v, Array.isArray(want) ? `${path}[${k}]` : `${path}.${k}`);
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

export function objectKey(o: { apiVersion?: string; kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}
