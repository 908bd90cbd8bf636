/**
 * Reconcile one BookingPlatform, top to bottom in phases:
 *   1 load → 2 deletion/finalizer → 3 validate → 4 paused? → 5 finalizer, ledger and secrets →
 *   6 observe data services → 7 carry out removed sections' policies → 8 render desired state →
 *   9 apply → 10 prune → 11 ledger and status → outcome.
 *
 * Invariants: level-based and idempotent (a second pass over an unchanged world writes nothing);
 * pruning only happens if every apply of the pass succeeded (and every security part could tell
 * what it wants), otherwise a working resource could be deleted; workloads that need a data service are not created before it is usable (they wait
 * rather than crash-loop), and existing ones are left alone while it is not; nothing is pruned
 * that the platform does not own by controller reference (or, for PersistentVolumes, by label); a
 * workload that changes kind (the WhatsApp gateway's Deployment of earlier builds) is deleted in
 * the foreground, never pruned, and what replaces it waits until it is gone (predecessor.ts).
 * Migrations run before the rollout: a changed workload that uses the connection waits until the
 * current migrations Job has succeeded. An object the apiserver refuses (400/422) is terminal:
 * Stalled with a short, value-free message, and not sent again until it or the live object changes.
 *
 * Data first: what the operator provisions is recorded in the platform's ledger (data/ledger.ts)
 * before it is created, and only the ledger decides removal. A section removed from the spec, a
 * spec that no longer validates, a deleted platform: each goes through the recorded deletionPolicy
 * (Snapshot, Delete, Retain) for ack and sdk alike; a removal that deletes data needs the owner's
 * confirmation unless the whole platform is being deleted; paused holds deletion too; a lost
 * stateful resource is reported, never re-created empty; a retained resource keeps its credential.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { applyDefaults } from '../api/defaults.ts';
import { parsePlatform, type ParseResult } from '../api/platform.ts';
import { deepEqual } from '../api/schema-dsl.ts';
import { API_VERSION, KIND, rootSchema } from '../api/schema.ts';
import type { BookingPlatform, BookingPlatformStatus } from '../api/types.generated.ts';
import { DATA_COMPONENT, isDataObject } from '../data/ack-removal.ts';
import { connectionData, connectionHash } from '../data/connection.ts';
import {
  CONFIRM_REMOVAL_ANNOTATION,
  LEDGER_ANNOTATION,
  listAnnotation,
  policyOf,
  readLedger,
  RECREATE_ANNOTATION,
  recordObserved,
  recordSpec,
  removalDeletesData,
  passwordManagedByRds,
  removedServices,
  SERVICES,
  uniqueSnapshotId,
  withSection,
  writeLedger,
  type Ledger,
  type LedgerEntry,
  type Released,
} from '../data/ledger.ts';
import { ProviderBusyError, wantedServices, type DataObservation, type DataServices, type ServiceName } from '../data/types.ts';
import { KubeError, type KubeClient, type Obj } from '../kube/client.ts';
import { readSecretData } from '../kube/secret-data.ts';
import { finalSnapshotId } from '../render/ack/rds.ts';
import { platformHasConnection } from '../render/connection.ts';
import { byApplyOrder, type KubeObject } from '../render/index.ts';
import { connectionSecretName, databaseMasterSecretName, DEFAULT_CONTEXT, labels, PLATFORM_LABEL, whatsappClaimName, type RenderContext } from '../render/names.ts';
import { observeSecurity, removeSecurity, securityNeedsCleanup, type SecurityEnv, type SecurityPart } from '../security/index.ts';
import { releaseGeneratedSecret } from '../security/secrets/index.ts';
import { usesEfs } from '../render/whatsapp.ts';
import { APPLIED_HASH_ANNOTATION, firstDifference, HANDOVER_MANAGER, objectKey, prepare, replicasHandover, verdict, type Owner } from './apply.ts';
import { isRefusal, shortKubeError } from './apply-errors.ts';
import type { EventRecorder } from './events.ts';
import type { Metrics } from './metrics.ts';
import { jobState, podFailure, podToQuote, WAITING_FOR_MIGRATIONS, type MigrationGate } from './migrations.ts';
import { done, requeue, retry, terminal, type Outcome } from './outcome.ts';
import { predecessors } from './predecessor.ts';
import { RenderMemo } from './render-memo.ts';
import { computeStatus, workloadState, type Removals, type WorkloadObservation } from './status.ts';

export const FINALIZER = 'platform.booking.io/cleanup';
/** Escape hatch: remove the finalizer without carrying out the deletion policies (AWS resources stay). */
export const SKIP_CLEANUP_ANNOTATION = 'platform.booking.io/skip-cleanup';
/** On a Secret the operator let go of: which retained resource or snapshot its credential opens. */
export const CREDENTIAL_FOR_ANNOTATION = 'platform.booking.io/credential-for';

/** Read access to the informer caches. */
export interface Store {
  platform(namespace: string, name: string): Obj | undefined;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  /** Every cached object the platform owns (controller reference, or label for cluster-scoped). */
  owned(platform: Obj): Obj[];
}

/** The apiserver operations the reconciler uses (a recording fake stands in for it in unit tests). */
export type KubeWriter = Pick<KubeClient, 'get' | 'list' | 'apply' | 'applyStatus' | 'create' | 'delete' | 'patch'>;

export interface ReconcilerDeps {
  client: KubeWriter;
  store: Store;
  dataServices: (p: BookingPlatform) => DataServices;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  now?: () => Date;
  /** The operator's cluster identity (part of every AWS identifier). */
  context?: RenderContext;
  /** IAM roles, application secrets, admin sign-in (security/); none by default. */
  security?: readonly SecurityPart[];
}

/** What carrying out removed sections' policies came to in one pass. */
interface RemovalPass {
  ledger: Ledger;
  /** Removals under way (`service: message`). */
  pending: string[];
  /** Removals that wait for the owner's confirmation. */
  blocked: string[];
  /** Services whose ACK objects removal handles (never pruned, never re-applied meanwhile). */
  removing: ServiceName[];
}

/**
 * An object the apiserver refused (400/422): not sent again while neither it nor the live object
 * changes, for up to REFUSAL_RETRY_MS (what the cache cannot see — an object without our labels
 * in the way — may have changed meanwhile).
 */
interface Refusal {
  platformUid: string;
  hash?: string;
  live?: string;
  message: string;
  at: number;
}
const REFUSAL_RETRY_MS = 10 * 60_000;
/** How soon a settled platform with RDS-managed credentials looks for a rotated password. */
export const MANAGED_ROTATION_POLL_MS = 60_000;

export class Reconciler {
  private readonly d: ReconcilerDeps;
  private readonly ctx: RenderContext;
  /** Refused objects by platform key, then object key: a refusal is terminal, never a retry storm. */
  private readonly refusals = new Map<string, Map<string, Refusal>>();
  /** Each platform's last render, reused while its input is unchanged (render-memo.ts). */
  readonly renders = new RenderMemo();
  constructor(deps: ReconcilerDeps) {
    this.d = deps;
    this.ctx = deps.context ?? DEFAULT_CONTEXT;
  }

  async reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split('/') as [string, string];
    // 1. load
    const raw = this.d.store.platform(namespace, name);
    if (!raw) {
      this.d.metrics.clearPlatform(namespace, name);
      this.refusals.delete(key);
      this.renders.drop(key);
      return done();
    }
    const log = this.d.log.child({ platform: key, reconcileId: randomUUID().slice(0, 8), generation: raw.metadata.generation });
    const generation = raw.metadata.generation ?? 0;
    const { ledger, error: ledgerError } = readLedger(raw.metadata.annotations as Record<string, string> | undefined);

    // 3. validate (deletion does not depend on it: it acts on the ledger)
    const parsed = parsePlatform(raw);
    // 2. deletion
    if (raw.metadata.deletionTimestamp) return this.finalize(raw, parsed, ledger, ledgerError, log);
    if (!parsed.ok) {
      const status = computeStatus(raw as unknown as BookingPlatform, { generation, invalid: parsed.errors, wanted: [], workloads: [] }, raw.status, this.now());
      await this.writeStatus(raw, status);
      this.d.events.warning(raw as Obj, 'InvalidSpec', status.conditions!.find((c) => c.type === 'Stalled')!.message);
      log.warn({ errors: parsed.errors }, 'invalid spec; waiting for a change');
      return terminal('invalid spec');
    }
    const p = parsed.platform;

    // 4. paused: no writes at all, not even the ledger
    if (p.spec.paused) {
      await this.writeStatus(raw, computeStatus(p, { generation, paused: true, wanted: wantedServices(p), workloads: [] }, raw.status, this.now()));
      return done();
    }
    if (ledgerError) return this.stall(raw, p, 'LedgerUnreadable', `${ledgerError}: the operator cannot tell what it provisioned, so it changes nothing; restore the annotation's previous value`, log);

    try {
      return await this.converge(raw, p, ledger, log);
    } catch (err) {
      if (err instanceof ProviderBusyError) return requeue(err.retryAfterMs, err.message);
      const message = shortKubeError(err);
      log.error({ err: message }, 'reconcile failed');
      // never leave an old Ready=True behind a failure
      await this.writeStatus(raw, computeStatus(p, { generation, wanted: wantedServices(p), workloads: [], error: message, errorReason: 'ReconcileError' }, raw.status, this.now())).catch(() => undefined);
      return retry(err as Error);
    }
  }

  private async converge(raw: Obj, p: BookingPlatform, stored: Ledger, log: Logger): Promise<Outcome> {
    const { namespace, name } = { namespace: p.metadata.namespace!, name: p.metadata.name };
    const generation = raw.metadata.generation ?? 0;
    const owner: Owner = { apiVersion: API_VERSION, kind: KIND, name, uid: raw.metadata.uid! };

    // 5. finalizer, then the ledger (before anything is created), then the master password
    let ledger = recordSpec(stored, p);
    if ((needsFinalizer(p, ledger) || securityNeedsCleanup(this.security, p)) && !raw.metadata.finalizers?.includes(FINALIZER)) await this.addFinalizer(raw);
    ledger = await this.saveLedger(raw, ledger);
    const { password, ledger: withSecret } = await this.ensureMasterPassword(p, raw, owner, ledger);
    ledger = await this.saveLedger(raw, withSecret);
    if (password !== undefined && ledger.services.database?.rotate) ledger = await this.rotatePassword(raw, p, ledger, password, log);

    // 6. observe data services (a stateful one seen before and gone now is a loss, not a create)
    const recreate = listAnnotation(raw.metadata.annotations as Record<string, string> | undefined, RECREATE_ANNOTATION);
    const existed = SERVICES.filter((s) => ledger.services[s]?.observed && !recreate.has(s) && s !== 'cache');
    const data = await this.d.dataServices(p).observe(p, ledger.services.database?.rotate ? undefined : password, { existed });

    // 6b. security parts: IAM roles, application secrets, admin sign-in
    const security = await observeSecurity(this.security, p, this.securityEnv(raw));

    // 7. sections removed from the spec: their recorded policies
    const removal = await this.removeSections(raw, p, ledger, false, log);
    ledger = removal.ledger;

    // 8. render desired state
    const conn = connectionData(p, data);
    const masterSecret = ledger.services.database?.secret;
    const desired = this.renders.render(`${namespace}/${name}`, p, { connectionHash: conn ? connectionHash(conn) : undefined, fileSystemId: data.fileSystem?.fileSystemId, accessPointId: data.fileSystem?.accessPointId, ...(masterSecret ? { masterSecretName: masterSecret } : {}), ...security.facts }, this.ctx);
    // only a platform with a data service has one (an empty Secret would be an object `render` does not show)
    if (conn && platformHasConnection(p)) desired.push(connectionSecret(p, conn));
    desired.push(...security.objects);
    // Secrets, IAM roles and ExternalSecrets before the workloads that read them
    desired.sort(byApplyOrder);
    // migrations first: a new template of what uses the connection waits for the current Job
    const rollsOut = (o: KubeObject) => verdict(prepare(o, owner), this.d.store.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name)) !== 'up-to-date';
    const migrations = await this.migrationGate(desired, rollsOut);
    const claim = this.d.store.get('v1', 'PersistentVolumeClaim', namespace, whatsappClaimName(p));
    const claimUnbound = (o: KubeObject) =>
      o.kind === 'StatefulSet' && o.metadata.labels?.['app.kubernetes.io/name'] === 'whatsapp' && usesEfs(p) && !this.d.store.get('apps/v1', 'StatefulSet', namespace, o.metadata.name) && claim?.status?.phase !== 'Bound'
        ? `waiting for the session volume claim ${whatsappClaimName(p)} to bind (${String(claim?.status?.phase ?? 'not created yet')})`
        : undefined;
    const holds = heldBack(p, desired, data, conn !== undefined, migrations, claimUnbound);
    // a security part that cannot tell what it wants: nothing its facts feed changes (nothing is pruned either, below)
    for (const o of security.unsure.length ? desired : []) {
      if (!holds.has(objectKey(o)) && readsSecurityFacts(o) && rollsOut(o)) holds.set(objectKey(o), `${WAITING_FOR_SECURITY} ${security.unsure.map((u) => `${u.name} (${u.message})`).join('; ')}`);
    }
    // a workload that changed kind waits until the one it replaces is gone (predecessor.ts); while it
    // is held back for other reasons the old one is left alone, and never pruned
    const replaced = predecessors(desired, this.d.store.owned(raw));
    const replacing = new Map(replaced.filter((r) => !holds.has(r.successor)).map((r) => [r.successor, r]));

    // 9. apply
    const keep = new Set([...desired.map(objectKey), ...replaced.map((r) => objectKey(r.old))]);
    if (password !== undefined && masterSecret) keep.add(objectKey({ kind: 'Secret', metadata: { namespace, name: masterSecret } }));
    // a service that stops being usable leaves the running workloads and their Secret alone
    if (platformHasConnection(p)) keep.add(objectKey({ kind: 'Secret', metadata: { namespace, name: connectionSecretName(p) } }));
    for (const ref of security.keep) keep.add(objectKey({ kind: ref.kind, metadata: ref }));
    let error: string | undefined;
    // refused objects (400/422) are terminal: reported once, not sent again until they or the live object change
    const refused: string[] = [];
    const refusals = this.refusals.get(`${namespace}/${name}`) ?? new Map<string, Refusal>();
    for (const obj of desired) {
      if (holds.has(objectKey(obj)) || replacing.has(objectKey(obj))) continue;
      const prepared = prepare(obj, owner);
      const live = this.d.store.get(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
      const attempt = { platformUid: owner.uid, hash: prepared.metadata.annotations?.[APPLIED_HASH_ANNOTATION], live: liveIdentity(live) };
      // two platforms in one namespace can render the same child name: never take another platform's object
      const holder = otherPlatformOwning(live, owner.uid);
      if (holder) {
        const message = `${obj.kind} ${obj.metadata.name} belongs to platform ${holder}: two platforms in namespace ${namespace} render the same name; rename one of them or move it to another namespace`;
        refused.push(message);
        this.d.events.warning(raw, 'NameConflict', message);
        continue;
      }
      const known = refusals.get(objectKey(obj));
      if (known && known.platformUid === attempt.platformUid && known.hash === attempt.hash && known.live === attempt.live && this.clock() - known.at < REFUSAL_RETRY_MS) {
        refused.push(known.message);
        continue;
      }
      try {
        await this.applyOne(prepared, raw, log);
        refusals.delete(objectKey(obj));
      } catch (err) {
        const message = `${obj.kind} ${obj.metadata.name}: ${shortKubeError(err)}`;
        if (isRefusal(err)) {
          refused.push(message);
          refusals.set(objectKey(obj), { ...attempt, message, at: this.clock() });
          this.d.events.warning(raw, 'ApplyRejected', message);
          log.warn({ err: message, kind: obj.kind, name: obj.metadata.name }, 'apply refused; not sent again until the spec or the object changes');
        } else {
          error = message;
          log.error({ err: message, kind: obj.kind, name: obj.metadata.name }, 'apply failed');
        }
      }
    }
    for (const k of refusals.keys()) if (!keep.has(k)) refusals.delete(k);
    if (refusals.size) this.refusals.set(`${namespace}/${name}`, refusals);
    else this.refusals.delete(`${namespace}/${name}`);

    // 10. prune, only after a fully successful apply (a refused object counts as failed) and when every
    // security part could tell what it wants; data objects of removed sections are removal's
    if (!error && !refused.length && !security.unsure.length) {
      for (const { old } of replacing.values()) {
        if (old.metadata.deletionTimestamp) continue;
        await this.d.client.delete({ apiVersion: old.apiVersion!, kind: old.kind!, name: old.metadata.name, namespace: old.metadata.namespace }, { uid: old.metadata.uid, propagation: 'Foreground' });
        this.d.events.normal(raw, 'Replacing', `deleting ${old.kind} ${old.metadata.name} in the foreground: what replaces it is created once it and its pods are gone`);
        log.info({ kind: old.kind, name: old.metadata.name }, 'deleting the predecessor in the foreground');
      }
      for (const o of this.d.store.owned(raw)) {
        if (keep.has(objectKey(o)) || removalOwns(o, removal.removing) || isMasterSecret(o, ledger)) continue;
        if (holdsData(o)) {
          // e.g. an identifier from an earlier version: deleting it would hand a database to ACK's delete
          this.d.events.warning(raw, 'NotPruned', `${o.kind} ${o.metadata.name} is no longer rendered but holds data: it is left alone (delete it yourself, with the deletion-policy annotation you want, once its data is safe)`);
          continue;
        }
        await this.d.client.delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, namespace: o.metadata.namespace }, { uid: o.metadata.uid });
        this.d.metrics.pruned.inc({ kind: o.kind });
        this.d.events.normal(raw, 'Pruned', `deleted ${o.kind} ${o.metadata.name}: no longer in the spec`);
        log.info({ kind: o.kind, name: o.metadata.name }, 'pruned');
      }
    } else if (error) {
      this.d.events.warning(raw, 'ApplyFailed', error);
    }

    // 11. ledger (what was seen usable) and status
    const usable = SERVICES.filter((s) => data[s]?.ready);
    ledger = await this.saveLedger(raw, recordObserved(ledger, usable));
    const workloads: WorkloadObservation[] = desired
      .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
      .map((o) => {
        const held = holds.get(objectKey(o));
        return { name: o.metadata.name, kind: o.kind as 'Deployment' | 'StatefulSet', live: this.d.store.get('apps/v1', o.kind, namespace, o.metadata.name), heldBack: held, replacing: replacing.get(objectKey(o))?.reason, ...(held?.startsWith(WAITING_FOR_MIGRATIONS) ? { heldReason: 'WaitingForMigrations' } : held?.startsWith(WAITING_FOR_SECURITY) ? { heldReason: 'WaitingForSecurity' } : {}) };
      });
    const removals: Removals = { pending: removal.pending, blocked: removal.blocked, released: ledger.released ?? [] };
    // what waits for the owner: refused objects, a failed migrations Job (a transient error outranks them: it is retried)
    const stalledBy = [...refused, ...(migrations?.failure ? [migrations.failure] : [])];
    const failure = error
      ? { error: summarize([error, ...stalledBy]) }
      : stalledBy.length
        ? { error: summarize(stalledBy), errorReason: refused.length ? 'ApplyRejected' : 'MigrationsFailed', stalled: true }
        : {};
    const status = computeStatus(p, { generation, data, wanted: wantedServices(p), workloads, ...failure, removals, security: security.states }, raw.status, this.now());
    await this.writeStatus(raw, status);
    this.recordTransitions(raw, raw.status, status);

    if (error) return retry(new Error(error));
    if (removal.pending.length) return requeue(10_000, 'removing data services');
    if (data.requeueAfterMs) return requeue(data.requeueAfterMs, 'waiting for data services');
    if (security.requeueAfterMs !== undefined) return requeue(security.requeueAfterMs, 'security parts: waiting or on schedule');
    if (stalledBy.length) return terminal(summarize(stalledBy));
    if (workloads.some((w) => !workloadState(w).ready)) return requeue(30_000, 'waiting for rollouts');
    // RDS rotates a managed master password in place and the old one stops working at once: no event
    // tells the cluster, so look again soon (one describe and one secret read a minute)
    if (p.spec.database?.credentials?.mode === 'managed') return requeue(MANAGED_ROTATION_POLL_MS, 'managed credentials: watching for a rotation');
    return done();
  }

  /**
   * The current migrations Job as the informer cache shows it (undefined without migrations). A
   * failed one is reported with its pod's reason: the pods are listed then, once per pass.
   */
  private async migrationGate(desired: KubeObject[], rollsOut: (o: KubeObject) => boolean): Promise<MigrationGate | undefined> {
    const job = desired.find((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'migrations');
    if (!job) return undefined;
    const live = this.d.store.get('batch/v1', 'Job', job.metadata.namespace, job.metadata.name);
    const state = jobState(live);
    const gate = { job: job.metadata.name, succeeded: state.succeeded, message: state.message, rollsOut: rollsOut as MigrationGate['rollsOut'] };
    if (!state.failed || !live) return gate;
    let pod: string;
    try {
      const { items } = await this.d.client.list('v1', 'Pod', { namespace: job.metadata.namespace, labelSelector: `batch.kubernetes.io/controller-uid=${live.metadata.uid}` });
      const quoted = podToQuote(items);
      pod = quoted ? podFailure(quoted) : 'no pod left to read';
    } catch (err) {
      pod = `its pods could not be read: ${shortKubeError(err)}`;
    }
    return { ...gate, message: 'failed', failure: `migrations Job ${job.metadata.name} failed: ${state.message}; ${pod}` };
  }

  /**
   * Carries out the recorded policy of every service in the ledger that `p` no longer asks for
   * (all of them when the platform is being deleted). A removal that deletes data waits for the
   * owner's confirmation unless the platform itself is being deleted (that is the confirmation).
   */
  private async removeSections(raw: Obj, p: BookingPlatform, stored: Ledger, deleting: boolean, log: Logger): Promise<RemovalPass> {
    let ledger = stored;
    const out: RemovalPass = { ledger, pending: [], blocked: [], removing: [] };
    const confirmed = listAnnotation(raw.metadata.annotations as Record<string, string> | undefined, CONFIRM_REMOVAL_ANNOTATION);
    for (const s of deleting ? SERVICES.filter((x) => ledger.services[x]) : removedServices(ledger, p)) {
      let entry = ledger.services[s]!;
      const policy = policyOf(entry.spec);
      out.removing.push(s);
      if (!deleting && removalDeletesData(entry) && !confirmed.has(s)) {
        const msg = `spec.${s} was removed; its deletionPolicy ${policy} would ${policy === 'Snapshot' ? 'take a final snapshot and then delete' : 'delete'} the ${s} and its data. Nothing is touched until you annotate the platform ${CONFIRM_REMOVAL_ANNOTATION}=${s}, or put the section back (to keep the resource: put it back with deletionPolicy Retain, then remove it)`;
        out.blocked.push(msg);
        this.d.events.warning(raw, 'RemovalNeedsConfirmation', msg);
        continue;
      }
      const ghost = withSection(p, s, entry);
      if (s === 'database' && policy === 'Snapshot' && !entry.finalSnapshot) {
        // chosen once and recorded before the delete: every retry asks for the same, new, snapshot
        entry = { ...entry, finalSnapshot: uniqueSnapshotId(finalSnapshotId(ghost, this.ctx), this.d.now?.() ?? new Date()) };
        ledger = await this.saveLedger(raw, withEntry(ledger, s, entry));
      }
      const r = await this.d.dataServices(ghost).remove(ghost, s, { finalSnapshot: entry.finalSnapshot });
      if (!r.done) {
        out.pending.push(`${s}: ${r.message}`);
        this.d.events.normal(raw, deleting ? 'DeletingDataService' : 'RemovingDataService', `${s} (deletionPolicy ${policy}): ${r.message}`);
        log.info({ service: s, policy, message: r.message }, 'removal under way');
        continue;
      }
      const secret = s === 'database' ? await this.releaseMasterSecret(raw, ghost, entry, policy, r.left) : undefined;
      const released: Released[] = [...(ledger.released ?? []), ...(r.left ? [{ service: s, resource: r.left, policy, ...(secret ? { secret } : {}) }] : [])];
      const services = { ...ledger.services };
      delete services[s];
      ledger = await this.saveLedger(raw, { services, ...(released.length ? { released } : {}) });
      const what = r.left ? `${r.left} stays in AWS${secret ? `; its credential stays in Secret ${secret}` : ''}` : 'nothing stays in AWS';
      this.d.events.normal(raw, policy === 'Retain' ? 'DataServiceRetained' : 'DataServiceRemoved', `${s} (deletionPolicy ${policy}): ${r.message}; ${what}`);
      log.info({ service: s, policy, left: r.left ?? null }, 'removal done');
    }
    out.ledger = ledger;
    return out;
  }

  private async applyOne(obj: KubeObject, platform: Obj, log: Logger): Promise<void> {
    const live = this.d.store.get(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const v = verdict(obj, live);
    if (v === 'up-to-date') return;
    // an autoscaler takes spec.replicas over: share the field first, or our apply resets it to 1
    const handover = replicasHandover(obj, live);
    if (handover) {
      try {
        await this.d.client.apply(handover as Obj, { as: HANDOVER_MANAGER });
        log.info({ kind: obj.kind, name: obj.metadata.name }, 'replicas handed over to the autoscaler');
      } catch (err) {
        // a conflict: another manager (the autoscaler) holds the field already, so ours can go
        if (!(err instanceof KubeError && err.code === 409)) throw err;
      }
    }
    await this.d.client.apply(obj as Obj);
    this.d.metrics.applied.inc({ kind: obj.kind });
    if (v === 'drift') {
      this.d.metrics.drift.inc({ kind: obj.kind });
      this.d.events.normal(platform, 'DriftCorrected', `restored ${obj.kind} ${obj.metadata.name}`);
      log.info({ kind: obj.kind, name: obj.metadata.name, field: firstDifference(live, obj) }, 'drift corrected');
    } else {
      log.debug({ kind: obj.kind, name: obj.metadata.name, verdict: v }, 'applied');
    }
  }

  /**
   * The master password: generated once, crypto-strong, kept in a Secret the ledger names. A
   * Secret that is lost after the database existed is regenerated under a new name and marked for
   * rotation: the database gets the new password (sdk: Modify; ack: the changed Secret reference)
   * before any connection carries it. A Secret let go of earlier (retained database) is adopted again.
   * Credentials mode managed: RDS keeps the password in Secrets Manager, so there is nothing to
   * generate, regenerate or rotate here (the provider reads RDS's secret).
   */
  private async ensureMasterPassword(p: BookingPlatform, raw: Obj, owner: Owner, ledger: Ledger): Promise<{ password?: string; ledger: Ledger }> {
    const entry = ledger.services.database;
    if (!p.spec.database || !entry || passwordManagedByRds(entry)) return { ledger };
    const namespace = p.metadata.namespace!;
    const name = entry.secret ?? databaseMasterSecretName(p);
    const found = this.d.store.get('v1', 'Secret', namespace, name) ?? (await this.d.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace }));
    const existing = found?.data?.password as string | undefined;
    if (found && existing) {
      if (!found.metadata.ownerReferences?.some((r) => r.uid === owner.uid)) await this.adoptSecret(found, p, owner);
      return { password: Buffer.from(existing, 'base64').toString('utf8'), ledger: entry.secret ? ledger : withEntry(ledger, 'database', { ...entry, secret: name }) };
    }
    // lost after the database existed: a new Secret name, so nothing reads a password the database does not have
    const rotate = Boolean(entry.observed);
    const target = rotate ? `${databaseMasterSecretName(p)}-${randomBytes(3).toString('hex')}` : name;
    const password = await this.createMasterSecret(p, raw, owner, target);
    if (rotate) this.d.events.warning(raw, 'PasswordRegenerated', `the master password Secret ${name} is gone: generated a new password in Secret ${target}; it is set on the database before apps use it`);
    return { password, ledger: withEntry(ledger, 'database', { ...entry, secret: target, ...(rotate ? { rotate: true } : {}) }) };
  }

  private async createMasterSecret(p: BookingPlatform, raw: Obj, owner: Owner, name: string): Promise<string> {
    const namespace = p.metadata.namespace!;
    // 32 characters from a URL- and shell-safe alphabet (RDS forbids / @ " and space)
    const password = randomBytes(24).toString('base64url');
    try {
      await this.d.client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name, namespace, labels: labels(p, 'database', 'credentials'), ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] },
        data: { username: Buffer.from(p.spec.database!.username).toString('base64'), password: Buffer.from(password).toString('base64') },
      } as Obj);
      this.d.events.normal(raw, 'PasswordGenerated', `generated the database master password in Secret ${name}`);
      return password;
    } catch (err) {
      if (err instanceof KubeError && err.code === 409) {
        const again = await this.d.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
        const value = Buffer.from(String(again?.data?.password ?? ''), 'base64').toString('utf8');
        if (value) return value;
      }
      throw err;
    }
  }

  /** A Secret this platform let go of (retained database) comes back under its ownership. */
  private async adoptSecret(s: Obj, p: BookingPlatform, owner: Owner): Promise<void> {
    await this.d.client.patch(
      { apiVersion: 'v1', kind: 'Secret', name: s.metadata.name, namespace: s.metadata.namespace },
      { metadata: { uid: s.metadata.uid, ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }], labels: labels(p, 'database', 'credentials'), annotations: { [CREDENTIAL_FOR_ANNOTATION]: null } } },
      'merge',
    );
  }

  /** sdk: set the regenerated password on the database; ack: the changed Secret reference makes ACK do it. */
  private async rotatePassword(raw: Obj, p: BookingPlatform, ledger: Ledger, password: string, log: Logger): Promise<Ledger> {
    const entry = ledger.services.database!;
    const ds = this.d.dataServices(p);
    if (entry.provisioner === 'sdk' && ds.rotatePassword) {
      const r = await ds.rotatePassword(p, password);
      if (!r.done) {
        log.warn({ message: r.message }, 'master password rotation pending');
        return ledger;
      }
      this.d.events.normal(raw, 'PasswordRotated', r.message);
    }
    const { rotate: _done, ...rest } = entry;
    return this.saveLedger(raw, withEntry(ledger, 'database', rest));
  }

  /**
   * A database's credential outlives the platform's hold on it: for Retain and Snapshot the Secret is
   * let go of (owner reference and labels removed, annotated with what it opens) so garbage
   * collection keeps it; for Delete it goes with the database.
   */
  private async releaseMasterSecret(raw: Obj, p: BookingPlatform, entry: LedgerEntry, policy: string, left: string | undefined): Promise<string | undefined> {
    // credentials mode managed: RDS's own secret goes with the database (or stays with it); no Kubernetes Secret to keep
    if (passwordManagedByRds(entry) && !entry.secret) return undefined;
    const namespace = p.metadata.namespace!;
    const name = entry.secret ?? databaseMasterSecretName(p);
    const s = await this.d.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
    if (!s) return undefined;
    if (policy === 'Delete' || !left) {
      await this.d.client.delete({ apiVersion: 'v1', kind: 'Secret', name, namespace }, { uid: s.metadata.uid });
      return undefined;
    }
    await this.d.client.patch(
      { apiVersion: 'v1', kind: 'Secret', name, namespace },
      { metadata: { uid: s.metadata.uid, ownerReferences: null, labels: { 'app.kubernetes.io/managed-by': null, [PLATFORM_LABEL]: null }, annotations: { [CREDENTIAL_FOR_ANNOTATION]: left } } },
      'merge',
    );
    this.d.events.normal(raw, 'CredentialKept', `Secret ${name} is no longer owned by the platform: it holds the credential of ${left}`);
    return name;
  }

  /**
   * Deletion: every service in the ledger goes through its recorded policy (the spec need not be
   * valid; a platform with no ledger, from an earlier version, is read leniently from its stored
   * spec). Paused holds deletion too. The finalizer goes only when every policy's end state is reached.
   */
  private async finalize(raw: Obj, parsed: ParseResult, stored: Ledger, ledgerError: string | undefined, log: Logger): Promise<Outcome> {
    if (!raw.metadata.finalizers?.includes(FINALIZER)) return done();
    const generation = raw.metadata.generation ?? 0;
    const p = parsed.ok ? parsed.platform : lenient(raw);
    const annotations = raw.metadata.annotations as Record<string, string> | undefined;
    const skip = annotations?.[SKIP_CLEANUP_ANNOTATION] === 'true';
    const deleting = (message: string, extra: { stalled?: boolean } = {}) =>
      this.writeStatus(raw, computeStatus((p ?? raw) as unknown as BookingPlatform, { generation, deleting: message, deletingStalled: extra.stalled, wanted: p ? wantedServices(p) : [], workloads: [] }, raw.status, this.now()));

    if (p?.spec?.paused && !skip) {
      await deleting('deletion waits: spec.paused is true, so the operator changes nothing, deletion included; set spec.paused to false to let the deletion policies run');
      return done();
    }
    const hasLedger = Boolean(annotations?.[LEDGER_ANNOTATION]);
    if (ledgerError || (!hasLedger && !p)) {
      const why = ledgerError ?? 'the stored spec cannot be read';
      await deleting(`cannot carry out the deletion policies: ${why}. Fix it, or annotate ${SKIP_CLEANUP_ANNOTATION}=true to delete the platform and leave its AWS resources in place`, { stalled: true });
      this.d.events.warning(raw, 'CleanupBlocked', why);
      return requeue(60_000, why);
    }
    let ledger = hasLedger || !p ? stored : recordSpec(stored, p);
    // decided on the ledger as this pass found it: the database still listed, or released by an earlier pass
    const keepAppSecrets = skip || leavesDatabaseData(ledger);

    if (skip) {
      // the owner chose to leave AWS resources in place: keep the database's credential with them
      const db = ledger.services.database;
      if (db && p) await this.releaseMasterSecret(raw, withSection(p, 'database', db), db, 'Retain', 'a database left in place by skip-cleanup');
      this.d.events.warning(raw, 'CleanupSkipped', `${SKIP_CLEANUP_ANNOTATION} is true: AWS resources are left in place, unmanaged`);
    } else {
      const removal = await this.removeSections(raw, p!, ledger, true, log);
      ledger = removal.ledger;
      if (removal.pending.length) {
        const message = removal.pending.join('; ');
        await deleting(message, { stalled: /ACK\.Terminal/.test(message) });
        return requeue(10_000, message);
      }
      // IAM roles, sign-in and secrets the operator created outside the cluster follow the platform
      if (p) {
        const sec = await removeSecurity(this.security, p, this.securityEnv(raw));
        if (!sec.done) {
          await deleting(sec.message);
          return requeue(10_000, sec.message);
        }
      }
    }
    // generated application secrets stay with the data they may have signed or encrypted (taken back on re-creation)
    if (keepAppSecrets) {
      const kept = await releaseGeneratedSecret(this.securityEnv(raw));
      if (!kept.done) return requeue(2_000, kept.message);
      if (kept.secret) this.d.events.normal(raw, 'CredentialKept', `Secret ${kept.secret} is no longer owned by the platform: it keeps the generated application secrets for the data left behind; a platform named ${raw.metadata.name} created here again takes it back`);
    }
    // cluster-scoped objects cannot be garbage-collected through owner references
    for (const o of this.d.store.owned(raw).filter((x) => !x.metadata.namespace)) {
      await this.d.client.delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name }, { uid: o.metadata.uid });
    }
    await this.removeFinalizer(raw);
    log.info({ released: ledger.released ?? [] }, 'cleanup done; finalizer removed');
    return done();
  }

  /** Adds the finalizer by JSON patch: never creates, and only on this very object (uid). */
  private async addFinalizer(raw: Obj): Promise<void> {
    const ops = raw.metadata.finalizers
      ? [{ op: 'test', path: '/metadata/uid', value: raw.metadata.uid }, { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }]
      : [{ op: 'test', path: '/metadata/uid', value: raw.metadata.uid }, { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }];
    await this.d.client.patch(platformRef(raw), ops, 'json');
  }

  /**
   * Removes the finalizer by JSON patch guarded by uid and the current list: a platform that is
   * already gone answers 404 (never re-created, as an apply would), one that changed answers 422
   * and the next pass tries again.
   */
  private async removeFinalizer(raw: Obj): Promise<void> {
    const current = await this.d.client.get(platformRef(raw));
    if (!current || current.metadata.uid !== raw.metadata.uid) return;
    const list = current.metadata.finalizers ?? [];
    if (!list.includes(FINALIZER)) return;
    try {
      await this.d.client.patch(
        platformRef(raw),
        [
          { op: 'test', path: '/metadata/uid', value: raw.metadata.uid },
          { op: 'test', path: '/metadata/finalizers', value: list },
          { op: 'replace', path: '/metadata/finalizers', value: list.filter((f) => f !== FINALIZER) },
        ],
        'json',
      );
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return;
      throw err;
    }
  }

  /** Writes the ledger annotation when it differs from what is stored; returns the ledger. */
  private async saveLedger(raw: Obj, after: Ledger): Promise<Ledger> {
    const text = writeLedger(after);
    const storedText = (raw.metadata.annotations as Record<string, string> | undefined)?.[LEDGER_ANNOTATION];
    const empty = Object.keys(after.services).length === 0 && !after.released?.length;
    if (storedText === text || (storedText === undefined && empty)) return after;
    const updated = await this.d.client.patch(platformRef(raw), { metadata: { uid: raw.metadata.uid, annotations: { [LEDGER_ANNOTATION]: text } } }, 'merge');
    // later writes this pass compare against what is stored now
    raw.metadata.annotations = { ...(raw.metadata.annotations ?? {}), [LEDGER_ANNOTATION]: text };
    if (updated?.metadata?.resourceVersion) raw.metadata.resourceVersion = updated.metadata.resourceVersion;
    return after;
  }

  private async stall(raw: Obj, p: BookingPlatform, reason: string, message: string, log: Logger): Promise<Outcome> {
    await this.writeStatus(raw, computeStatus(p, { generation: raw.metadata.generation ?? 0, wanted: wantedServices(p), workloads: [], error: message, errorReason: reason, stalled: true }, raw.status, this.now()));
    this.d.events.warning(raw, reason, message);
    log.warn({ reason, message }, 'stalled');
    return terminal(message);
  }

  private async writeStatus(raw: Obj, status: BookingPlatformStatus): Promise<void> {
    const [ns, name] = [raw.metadata.namespace!, raw.metadata.name];
    this.d.metrics.setPlatformConditions(ns, name, status.conditions ?? []);
    if (deepEqual(raw.status ?? {}, status)) return;
    this.d.log.debug({ platform: `${ns}/${name}`, phase: status.phase }, 'status written');
    await this.d.client.applyStatus({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns }, status });
  }

  private recordTransitions(raw: Obj, before: BookingPlatformStatus | undefined, after: BookingPlatformStatus): void {
    const was = before?.conditions?.find((c) => c.type === 'Ready');
    const is = after.conditions?.find((c) => c.type === 'Ready');
    if (!is || was?.status === is.status) return;
    // a new platform on its way up is no warning (its arrival at Ready is told); what stalls is
    if (!was && is.status === 'False' && after.conditions?.find((c) => c.type === 'Stalled')?.status !== 'True') return;
    if (is.status === 'True') this.d.events.normal(raw, 'Ready', is.message);
    else this.d.events.warning(raw, is.reason, is.message);
  }

  private now(): string {
    return (this.d.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private get security(): readonly SecurityPart[] {
    return this.d.security ?? [];
  }

  private securityEnv(raw: Obj): SecurityEnv {
    return {
      ctx: this.ctx,
      raw,
      get: (apiVersion, kind, namespace, name) => this.d.store.get(apiVersion, kind, namespace, name),
      readSecret: (namespace, name) => readSecretData(this.d.client, namespace, name),
      create: async (obj) => {
        await this.d.client.create(obj as unknown as Obj);
      },
      read: (apiVersion, kind, namespace, name) => this.d.client.get({ apiVersion, kind, name, namespace }),
      patch: async (ref, ops) => {
        await this.d.client.patch(ref, ops, 'json');
      },
      patchPlatform: async (ops) => {
        const updated = await this.d.client.patch(platformRef(raw), [{ op: 'test', path: '/metadata/uid', value: raw.metadata.uid }, ...ops], 'json');
        // later reads and writes this pass see what is stored now (as saveLedger does)
        raw.metadata.annotations = updated?.metadata?.annotations ?? {};
        if (updated?.metadata?.resourceVersion) raw.metadata.resourceVersion = updated.metadata.resourceVersion;
      },
      delete: (ref, uid) => this.d.client.delete(ref, { uid }),
      warning: (reason, message) => this.d.events.warning(raw, reason, message),
    };
  }

  private clock(): number {
    return (this.d.now?.() ?? new Date()).getTime();
  }
}

/** Whether deletion leaves a database's data behind (Retain, Snapshot): listed with such a policy, or released so. */
function leavesDatabaseData(l: Ledger): boolean {
  const db = l.services.database;
  return (db !== undefined && policyOf(db.spec) !== 'Delete') || (l.released ?? []).some((r) => r.service === 'database' && r.policy !== 'Delete');
}

/** A finalizer wherever something outside the namespace needs cleanup: anything in the ledger, an EFS volume. */
export function needsFinalizer(p: BookingPlatform, ledger: Ledger = { services: {} }): boolean {
  return p.spec.provisioner === 'sdk' || Object.keys(ledger.services).length > 0 || (Boolean(p.spec.whatsapp?.enabled) && usesEfs(p));
}

const platformRef = (raw: Obj) => ({ apiVersion: API_VERSION, kind: KIND, name: raw.metadata.name, namespace: raw.metadata.namespace });

function withEntry(l: Ledger, s: ServiceName, e: LedgerEntry): Ledger {
  return { ...l, services: { ...l.services, [s]: e } };
}

/** The stored spec defaulted but not validated: enough to find what to clean up when rules changed. */
function lenient(raw: Obj): BookingPlatform | undefined {
  try {
    const p = applyDefaults(raw as unknown as Record<string, unknown>, rootSchema) as unknown as BookingPlatform;
    return p?.spec && typeof p.spec === 'object' ? p : undefined;
  } catch {
    return undefined;
  }
}

/** ACK objects of a service being removed: removal deletes them in order, prune must not. */
function removalOwns(o: Obj, removing: ServiceName[]): boolean {
  return removing.some((s) => isDataObject(o, DATA_COMPONENT[s]));
}

/** ACK objects whose deletion would delete data: never pruned, only removed through a deletion policy. */
function holdsData(o: Obj): boolean {
  if (!isDataObject(o)) return false;
  if (o.kind === 'DBInstance') return !(o.spec as { dbClusterIdentifier?: string } | undefined)?.dbClusterIdentifier;
  return ['DBCluster', 'ReplicationGroup', 'FileSystem', 'Bucket'].includes(o.kind ?? '');
}

/** The master password Secret stays while the database is in the ledger (a lapse of usability is no reason to drop it). */
function isMasterSecret(o: Obj, ledger: Ledger): boolean {
  const db = ledger.services.database;
  return o.kind === 'Secret' && db !== undefined && (o.metadata.name === db.secret || o.metadata.labels?.['app.kubernetes.io/component'] === 'credentials' && o.metadata.labels?.['app.kubernetes.io/name'] === 'database');
}


function connectionSecret(p: BookingPlatform, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: connectionSecretName(p), namespace: p.metadata.namespace ?? 'default', labels: labels(p, 'connection', 'credentials') },
    data: Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

const WAITING_FOR_SECURITY = 'waiting for security parts that cannot tell what they want:';

/** What the security parts' facts feed (render/facts.ts): pod templates (roles, secrets), ServiceAccounts (roles), Ingresses (sign-in). */
function readsSecurityFacts(o: KubeObject): boolean {
  return podSpecOf(o) !== undefined || o.kind === 'ServiceAccount' || o.kind === 'Ingress';
}

/** Objects that must wait, by key, with the reason (shown in status). */
/**
 * `claimUnbound`: the gateway's first StatefulSet waits until its session claim is bound to the
 * platform's own volume (pre-bound by volumeName, so it binds without a consumer). A pod created
 * before that is found unschedulable and, in runs seen here, waited a minute and more for the
 * scheduler to try it again.
 */
function heldBack(p: BookingPlatform, desired: KubeObject[], data: DataObservation, connectionReady: boolean, migrations?: MigrationGate, claimUnbound?: (o: KubeObject) => string | undefined): Map<string, string> {
  const holds = new Map<string, string>();
  const connName = connectionSecretName(p);
  for (const o of desired) {
    // a lost stateful resource is never re-created empty by re-applying its ACK object
    const lostService = SERVICES.find((s) => data[s]?.reason === 'Missing' && isDataObject(o, DATA_COMPONENT[s]));
    if (lostService) {
      holds.set(objectKey(o), `${lostService} is lost: ${data[lostService]!.message}`);
      continue;
    }
    const pod = podSpecOf(o);
    if (!pod) continue;
    const needsConnection = (pod.containers ?? []).some((c: any) => (c.envFrom ?? []).some((e: any) => e.secretRef?.name === connName));
    if (needsConnection && platformHasConnection(p) && !connectionReady) {
      holds.set(objectKey(o), `waiting for ${firstBlocked(p, data)}`);
    } else if (o.metadata.labels?.['app.kubernetes.io/name'] === 'whatsapp' && usesEfs(p) && !data.fileSystem?.fileSystemId) {
      holds.set(objectKey(o), `waiting for the file system: ${data.fileSystem?.message ?? 'not observed yet'}`);
    } else if (claimUnbound?.(o)) {
      holds.set(objectKey(o), claimUnbound(o)!);
    } else if (needsConnection && migrations && !migrations.succeeded && o.kind !== 'Job' && migrations.rollsOut(o)) {
      // only a change waits: what runs keeps running the old version
      holds.set(objectKey(o), `${WAITING_FOR_MIGRATIONS} ${migrations.job}: ${migrations.message}`);
    }
  }
  return holds;
}

/** Which live object a refusal was against: its uid and spec generation (status churn does not count). */
function liveIdentity(live: Obj | undefined): string | undefined {
  return live ? `${live.metadata.uid}/${live.metadata.generation ?? live.metadata.resourceVersion}` : undefined;
}

/** At most three problems in one message; the count of the rest. */
function summarize(problems: string[]): string {
  return problems.length > 3 ? `${problems.slice(0, 3).join('; ')}; and ${problems.length - 3} more` : problems.join('; ');
}

function firstBlocked(p: BookingPlatform, data: DataObservation): string {
  for (const s of wantedServices(p)) {
    const st = data[s];
    if (s !== 'fileSystem' && !st?.ready) return `${s} (${st?.message ?? 'not observed yet'})`;
  }
  return 'the connection Secret';
}

/** The name of the other BookingPlatform that controls `live`, if any. */
function otherPlatformOwning(live: Obj | undefined, uid: string): string | undefined {
  const ref = live?.metadata.ownerReferences?.find((r) => r.controller);
  return ref && ref.kind === KIND && ref.uid !== uid ? ref.name : undefined;
}

function podSpecOf(o: KubeObject): any {
  const spec = o.spec as any;
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'Job') return spec?.template?.spec;
  return undefined;
}

