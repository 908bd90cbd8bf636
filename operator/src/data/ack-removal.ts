/**
 * Carrying out a deletion policy through ACK: ACK deletes (or keeps) the AWS resource when its
 * Kubernetes object is deleted, as that object's annotations say. So removal is: make the
 * annotations say exactly what the policy says, lift deletion protection and wait until ACK has
 * applied that to AWS (ACK never re-reads the spec of an object being deleted, so a protected
 * database deleted first stays stuck), then delete the objects and wait until ACK lets them go.
 *
 * The decisions are pure (`removalStep`); `AckRemover` carries them out through a small writer.
 */
import { isAurora } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { ACK, ACK_DELETION_POLICY } from '../render/ack/common.ts';
import { RDS_FINAL_SNAPSHOT_ID, RDS_SKIP_FINAL_SNAPSHOT } from '../render/ack/rds.ts';
import type { KubeClient, Obj } from '../kube/client.ts';
import type { RenderContext } from '../render/names.ts';
import type { Policy } from './ledger.ts';
import { leftBehind, policyFor } from './removal.ts';
import type { FinalizeResult, RemoveOptions, ServiceName } from './types.ts';

/** When deletion protection was lifted (ISO time): ACK must have synced after it. */
export const PROTECTION_LIFTED_ANNOTATION = 'platform.booking.io/protection-lifted-at';

export interface AckObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; annotations?: Record<string, string>; deletionTimestamp?: string | Date; labels?: Record<string, string> };
  spec?: any;
  status?: any;
}

export interface AckWriter {
  /** The platform's cached ACK objects with this component label. */
  objects(p: BookingPlatform, component: string): AckObject[];
  /** JSON merge patch; resolves with the object's new resourceVersion. */
  patch(o: AckObject, patch: Record<string, unknown>): Promise<string | undefined>;
  delete(o: AckObject): Promise<void>;
}

/** The component label render/ack gives each service's ACK objects (their role label is `data`). */
export const DATA_COMPONENT: Record<ServiceName, string> = { database: 'database', cache: 'cache', fileSystem: 'filesystem', uploads: 'uploads' };

/** Whether `o` is one of the ACK data objects render/ack labels, of `component` when given. */
export function isDataObject(o: { metadata: { labels?: Record<string, string> } }, component?: string): boolean {
  const l = o.metadata.labels ?? {};
  return l['app.kubernetes.io/component'] === 'data' && (component === undefined || l['app.kubernetes.io/name'] === component);
}

/** The AckWriter over a platform's owned objects (informer cache) and the apiserver: patches and deletes guarded by uid. */
export function kubeAckWriter(owned: (platform: Obj) => Obj[], client: Pick<KubeClient, 'patch' | 'delete'>): AckWriter {
  const ref = (o: AckObject) => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, namespace: o.metadata.namespace });
  return {
    objects: (p, component) => owned(p as unknown as Obj).filter((o) => isDataObject(o, component)) as AckObject[],
    patch: async (o, patch) => (await client.patch(ref(o), { ...patch, metadata: { ...((patch.metadata as object | undefined) ?? {}), uid: o.metadata.uid } }, 'merge')).metadata.resourceVersion,
    delete: (o) => client.delete(ref(o), { uid: o.metadata.uid }),
  };
}
const ACK_GROUPS = new Set<string>(Object.values(ACK));

/** The annotations an object must carry before it is deleted, for this policy. */
export function removalAnnotations(o: AckObject, p: BookingPlatform, policy: Policy, finalSnapshot: string | undefined): Record<string, string> {
  const a: Record<string, string> = { [ACK_DELETION_POLICY]: policy === 'Retain' ? 'retain' : 'delete' };
  const db = p.spec.database;
  // the final snapshot belongs to the DBInstance, or to the DBCluster for Aurora (its members never snapshot)
  const carriesData = o.kind === 'DBCluster' || (o.kind === 'DBInstance' && !(db && isAurora(db)));
  if (o.apiVersion === ACK.rds && (o.kind === 'DBInstance' || o.kind === 'DBCluster') && policy !== 'Retain') {
    const snapshot = policy === 'Snapshot' && carriesData ? finalSnapshot : undefined;
    a[RDS_SKIP_FINAL_SNAPSHOT] = snapshot ? 'false' : 'true';
    if (snapshot) a[RDS_FINAL_SNAPSHOT_ID] = snapshot;
  }
  return a;
}

export type Action =
  | { type: 'patch'; object: AckObject; patch: Record<string, unknown>; why: string }
  | { type: 'delete'; object: AckObject }
  | { type: 'wait'; message: string }
  | { type: 'done' };

/**
 * The next thing to do for one object. `syncedAfter` tells whether ACK has synced the object since
 * deletion protection was lifted (see `ackSyncedSince`).
 */
export function removalStep(o: AckObject, p: BookingPlatform, policy: Policy, finalSnapshot: string | undefined, now: Date, syncedAfter: (o: AckObject) => boolean): Action {
  const id = `${o.kind} ${o.metadata.name}`;
  if (o.metadata.deletionTimestamp) {
    const blocked = ackProblem(o);
    return { type: 'wait', message: `waiting for ACK to ${policy === 'Retain' ? 'release' : 'delete'} ${id}${blocked ? `: ${blocked}` : ''}` };
  }
  const wantAnn = removalAnnotations(o, p, policy, finalSnapshot);
  const ann = o.metadata.annotations ?? {};
  const annDiff = Object.fromEntries(Object.entries(wantAnn).filter(([k, v]) => ann[k] !== v));
  // a final snapshot name left from an earlier policy must not survive a switch to Delete
  if (!wantAnn[RDS_FINAL_SNAPSHOT_ID] && ann[RDS_FINAL_SNAPSHOT_ID]) (annDiff as Record<string, string | null>)[RDS_FINAL_SNAPSHOT_ID] = null;
  if (policy !== 'Retain' && o.spec?.deletionProtection === true) {
    return {
      type: 'patch',
      object: o,
      patch: { metadata: { annotations: { ...annDiff, [PROTECTION_LIFTED_ANNOTATION]: now.toISOString() } }, spec: { deletionProtection: false } },
      why: `lifting deletion protection on ${id}: deleting the platform (or removing its section) is the owner's explicit intent`,
    };
  }
  if (Object.keys(annDiff).length) return { type: 'patch', object: o, patch: { metadata: { annotations: annDiff } }, why: `setting ${id}'s deletion annotations for policy ${policy}` };
  if (policy !== 'Retain' && ann[PROTECTION_LIFTED_ANNOTATION] && !syncedAfter(o)) {
    const blocked = ackProblem(o);
    return { type: 'wait', message: `waiting for ACK to turn off deletion protection of ${id} in AWS${blocked ? `: ${blocked}` : ''}` };
  }
  return { type: 'delete', object: o };
}

/** ACK's Terminal or Recoverable condition message, if any (quoted in status). */
export function ackProblem(o: AckObject): string | undefined {
  const conds = (o.status?.conditions ?? []) as Array<{ type: string; status?: string; message?: string }>;
  const c = conds.find((x) => (x.type === 'ACK.Terminal' || x.type === 'ACK.Recoverable') && x.status === 'True');
  return c ? `${c.type}: ${c.message ?? ''}`.trim() : undefined;
}

/**
 * Whether ACK has applied a spec change made at `since`. ACK (runtime v0.60) keeps no
 * observedGeneration; it rebuilds its conditions on every reconcile, stamping ResourceSynced's
 * lastTransitionTime each time. After a change it calls Modify, reports Synced=False and looks
 * again 30 s later, then reports Synced=True. So: Synced=True, stamped well after the change
 * (a reconcile already running at `since` could finish just after it with the old spec), on a
 * resourceVersion other than the change's own. If ACK found nothing to do, it stamps Synced=True
 * at once and next looks in 10 h: after two minutes any Synced=True stamped since the change counts.
 */
export function ackSyncedSince(o: AckObject, since: string | undefined, patchedVersion: string | undefined, now: Date): boolean {
  if (!since) return true;
  if (ackProblem(o)) return false;
  if (patchedVersion && o.metadata.resourceVersion === patchedVersion) return false;
  const synced = ((o.status?.conditions ?? []) as Array<{ type: string; status?: string; lastTransitionTime?: string; observedGeneration?: number }>).find((c) => c.type === 'ACK.ResourceSynced');
  if (synced?.status !== 'True') return false;
  if (synced.observedGeneration !== undefined) return synced.observedGeneration >= (o.metadata.generation ?? 0);
  const at = Date.parse(synced.lastTransitionTime ?? '');
  const t = Math.floor(Date.parse(since) / 1000) * 1000;
  return at >= t + SETTLE_MS || (now.getTime() - t > QUIET_MS && at >= t);
}

const SETTLE_MS = 5_000;
const QUIET_MS = 120_000;

/** Deletion order: what uses another goes first (members before their cluster, everything before its subnet group). */
function tier(o: AckObject): number {
  if (o.kind === 'DBSubnetGroup' || o.kind === 'CacheSubnetGroup') return 2;
  if (o.kind === 'DBCluster' || o.kind === 'FileSystem') return 1;
  return 0;
}

export class AckRemover {
  private readonly w: AckWriter;
  private readonly now: () => Date;
  /** resourceVersion each protection-lifting patch produced (by uid), to know ACK wrote since. */
  private readonly patched = new Map<string, string>();

  private readonly ctx: RenderContext;

  constructor(writer: AckWriter, ctx: RenderContext, now: () => Date = () => new Date()) {
    this.w = writer;
    this.ctx = ctx;
    this.now = now;
  }

  async remove(p: BookingPlatform, service: ServiceName, opts: RemoveOptions): Promise<FinalizeResult> {
    const policy = policyFor(p, service);
    if (policy === 'Snapshot' && service === 'database' && !opts.finalSnapshot) throw new Error('deletionPolicy Snapshot needs a final snapshot identifier');
    const objects = this.w.objects(p, DATA_COMPONENT[service]).filter((o) => ACK_GROUPS.has(o.apiVersion ?? ''));
    // gone means ACK accepted the delete (it drops its finalizer once AWS took the call, before the
    // instance is gone and the snapshot is available): the snapshot's progress is AWS's to show
    if (!objects.length) {
      const left = leftBehind(p, this.ctx, service, policy, opts.finalSnapshot);
      return { done: true, message: left ? `${left} ${policy === 'Retain' ? 'retained (deletionPolicy Retain): no longer managed' : 'kept'}` : `${service} deleted (deletionPolicy ${policy})`, ...(left ? { left } : {}) };
    }
    const waits: string[] = [];
    for (const o of objects) {
      const blocker = objects.find((x) => tier(x) < tier(o));
      const step = removalStep(o, p, policy, opts.finalSnapshot, this.now(), (x) => ackSyncedSince(x, x.metadata.annotations?.[PROTECTION_LIFTED_ANNOTATION], this.patched.get(x.metadata.uid ?? ''), this.now()));
      if (step.type === 'patch') {
        const rv = await this.w.patch(step.object, step.patch);
        if ((step.patch.spec as { deletionProtection?: boolean } | undefined)?.deletionProtection === false && rv) this.patched.set(o.metadata.uid ?? '', rv);
        waits.push(step.why);
      } else if (step.type === 'delete' && blocker) {
        // AWS refuses to delete what others still use (a subnet group, a cluster with members): dependents first
        waits.push(`${o.kind} ${o.metadata.name} goes after ${blocker.kind} ${blocker.metadata.name}`);
      } else if (step.type === 'delete') {
        await this.w.delete(step.object);
        this.patched.delete(o.metadata.uid ?? '');
        waits.push(`deleting ${o.kind} ${o.metadata.name} (ACK deletion policy ${policy === 'Retain' ? 'retain' : 'delete'})`);
      } else if (step.type === 'wait') {
        waits.push(step.message);
      }
    }
    return { done: false, message: waits.join('; ') };
  }
}
