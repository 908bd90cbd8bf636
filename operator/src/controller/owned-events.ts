/**
 * Which changes of an owned object can change what a reconcile of its platform does (pure).
 *
 * Every change of an owned object used to queue its platform. Most are the status of children
 * moving: an HPA's look at its metrics, a Deployment's conditions refreshed. The reconciler reads
 * an owned object's metadata and spec (drift, hand-over, identity) and, of its status, only:
 * Deployments' and StatefulSets' through workloadState (status.ts), Jobs' (the migrations gate),
 * PersistentVolumeClaims' phase (the gateway's claim), and the status of ACK's and ESO's kinds
 * (data/, security/). So an update that changed nothing but `status` (and the resourceVersion) is
 * skipped when the kind's status is read by nothing, and, for a workload, when workloadState
 * says the same of the old and the new object. Skipping is safe for a level-based reconciler: the
 * event that brought the last state that mattered queued the platform, and that reconcile reads
 * the cache as it is then, which gives the same result as any later state that does not matter.
 */
import type { Obj } from '../kube/client.ts';
import { workloadState } from './status.ts';

/** Kinds whose status no part of the operator reads. */
const STATUS_UNREAD = new Set(['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'CronJob', 'Service', 'ServiceAccount', 'Secret', 'Ingress', 'NetworkPolicy']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

/** Whether the update of owned object `old` to `obj` should queue its platform. */
export function ownedChangeMatters(old: Obj, obj: Obj): boolean {
  const kind = obj.kind ?? '';
  if (!STATUS_UNREAD.has(kind) && !WORKLOADS.has(kind)) return true;
  if (!onlyStatusChanged(old, obj)) return true;
  if (STATUS_UNREAD.has(kind)) return false;
  const state = (live: Obj) => workloadState({ name: obj.metadata.name, kind: kind as 'Deployment' | 'StatefulSet', live });
  const [before, after] = [state(old), state(obj)];
  return before.ready !== after.ready || before.message !== after.message;
}

/** Whether the objects differ in nothing but `status` and `metadata.resourceVersion`. */
function onlyStatusChanged(old: Obj, obj: Obj): boolean {
  return sameKeysBut(old, obj, 'status', (k, a, b) => (k === 'metadata' ? sameKeysBut(a, b, 'resourceVersion', (_k, x, y) => same(x, y)) : same(a, b)));
}

/** Same keys, `skip` aside, and `eq` for each value. */
function sameKeysBut(a: any, b: any, skip: string | undefined, eq: (key: string, x: unknown, y: unknown) => boolean): boolean {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const keys = Object.keys(a).filter((k) => k !== skip);
  if (keys.length !== Object.keys(b).filter((k) => k !== skip).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && eq(k, a[k], b[k]));
}

/** Deep equality of JSON values (as the watch delivers them), without building text. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (Array.isArray(b)) return false;
  return sameKeysBut(a, b, undefined, (_k, x, y) => same(x, y));
}
