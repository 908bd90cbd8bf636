/**
 * The record of managed roles created through the SDK, kept on the platform (like the data ledger,
 * data/ledger.ts): the annotation `platform.booking.io/iam-roles` lists the trusts its roles were
 * made with (`irsa`, `podIdentity`). It is written before the first CreateRole and removed once the
 * roles are gone, and cleanup acts on it, never on a guess: a platform without it makes no IAM call
 * (an operator that never got IAM rights is never blocked by a ListRoles it may not call).
 *
 * Pure: annotations in, JSON patch ops out (SecurityEnv.patchPlatform adds the uid guard).
 */
import type { JsonPatchOp } from '../types.ts';
import type { Trust } from './policies.ts';

export const IAM_RECORD_ANNOTATION = 'platform.booking.io/iam-roles';

export type TrustKind = Trust['kind'];
const KINDS: readonly TrustKind[] = ['irsa', 'podIdentity'];
const POINTER = `/metadata/annotations/${IAM_RECORD_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;

type Annotations = Record<string, string> | undefined;

/**
 * The trusts recorded, undefined without a record. A value that names no known trust (edited by
 * hand) still means roles may exist: both trusts, so cleanup looks everywhere.
 */
export function recordedTrusts(annotations: Annotations): Set<TrustKind> | undefined {
  const raw = annotations?.[IAM_RECORD_ANNOTATION];
  if (raw === undefined) return undefined;
  const named = raw.split(',').map((s) => s.trim()).filter((s): s is TrustKind => (KINDS as readonly string[]).includes(s));
  return new Set(named.length ? named : KINDS);
}

/** The ops that add `trust` to the record (none when it is there); the annotations map is created guarded by resourceVersion. */
export function recordOps(annotations: Annotations, resourceVersion: string | undefined, trust: TrustKind): JsonPatchOp[] {
  const now = recordedTrusts(annotations);
  if (now?.has(trust)) return [];
  const value = KINDS.filter((k) => k === trust || now?.has(k)).join(',');
  if (annotations) return [{ op: 'add', path: POINTER, value }];
  // no annotations at all: adding the map would replace one written meanwhile, so only on this very version
  return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, { op: 'add', path: '/metadata/annotations', value: { [IAM_RECORD_ANNOTATION]: value } }];
}

/** The ops that drop the record, guarded by its value (none without one). */
export function clearOps(annotations: Annotations): JsonPatchOp[] {
  const raw = annotations?.[IAM_RECORD_ANNOTATION];
  return raw === undefined ? [] : [{ op: 'test', path: POINTER, value: raw }, { op: 'remove', path: POINTER }];
}
