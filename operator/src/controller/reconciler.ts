/**
 * Reconcile one BookingPlatform, top to bottom in phases:
 *   1 load → 2 deletion/finalizer → 3 validate → 4 paused? → 5 ensure finalizer and secrets →
 *   6 observe data services → 7 render desired state → 8 apply → 9 prune → 10 status → outcome.
 *
 * Invariants: level-based and idempotent (a second pass over an unchanged world writes nothing);
 * pruning only happens if every apply of the pass succeeded, otherwise a working resource could be
 * deleted; workloads that need a data service are not created before it is usable (they wait
 * rather than crash-loop), and existing ones are left alone while it is not; nothing is pruned
 * that the platform does not own by controller reference (or, for PersistentVolumes, by label).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { parsePlatform } from '../api/platform.ts';
import { deepEqual } from '../api/schema-dsl.ts';
import { API_VERSION, KIND } from '../api/schema.ts';
import type { BookingPlatform, BookingPlatformStatus } from '../api/types.generated.ts';
import { connectionData, connectionHash } from '../data/connection.ts';
import { wantedServices, type DataObservation, type DataServices } from '../data/types.ts';
import { KubeError, type KubeClient, type Obj } from '../kube/client.ts';
import { platformHasConnection } from '../render/connection.ts';
import { renderPlatform, type KubeObject } from '../render/index.ts';
import { connectionSecretName, databaseMasterSecretName, labels } from '../render/names.ts';
import { usesEfs } from '../render/whatsapp.ts';
import { firstDifference, objectKey, prepare, verdict, type Owner } from './apply.ts';
import type { EventRecorder } from './events.ts';
import type { Metrics } from './metrics.ts';
import { done, requeue, retry, terminal, type Outcome } from './outcome.ts';
import { computeStatus, deploymentState, type WorkloadObservation } from './status.ts';

export const FINALIZER = 'platform.booking.io/cleanup';
/** Escape hatch: remove the finalizer without waiting for cloud cleanup. */
export const SKIP_CLEANUP_ANNOTATION = 'platform.booking.io/skip-cleanup';

/** Read access to the informer caches. */
export interface Store {
  platform(namespace: string, name: string): Obj | undefined;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  /** Every cached object the platform owns (controller reference, or label for cluster-scoped). */
  owned(platform: Obj): Obj[];
}

export interface ReconcilerDeps {
  client: KubeClient;
  store: Store;
  dataServices: (p: BookingPlatform) => DataServices;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  now?: () => Date;
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  constructor(deps: ReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split('/') as [string, string];
    // 1. load
    const raw = this.d.store.platform(namespace, name);
    if (!raw) {
      this.d.metrics.clearPlatform(namespace, name);
      return done();
    }
    const log = this.d.log.child({ platform: key, reconcileId: randomUUID().slice(0, 8), generation: raw.metadata.generation });
    const generation = raw.metadata.generation ?? 0;
    const owner: Owner = { apiVersion: API_VERSION, kind: KIND, name, uid: raw.metadata.uid! };

    // 3. validate (before deletion too: a platform that never was valid has nothing to clean)
    const parsed = parsePlatform(raw);
    // 2. deletion
    if (raw.metadata.deletionTimestamp) return this.finalize(raw, parsed.ok ? parsed.platform : undefined, log);
    if (!parsed.ok) {
      const status = computeStatus(raw as unknown as BookingPlatform, { generation, invalid: parsed.errors, wanted: [], workloads: [] }, raw.status, this.now());
      await this.writeStatus(raw, status);
      this.d.events.warning(raw as Obj, 'InvalidSpec', status.conditions!.find((c) => c.type === 'Stalled')!.message);
      log.warn({ errors: parsed.errors }, 'invalid spec; waiting for a change');
      return terminal('invalid spec');
    }
    const p = parsed.platform;

    // 4. paused
    if (p.spec.paused) {
      await this.writeStatus(raw, computeStatus(p, { generation, paused: true, wanted: wantedServices(p), workloads: [] }, raw.status, this.now()));
      return done();
    }

    try {
      // 5. finalizer and generated secrets
      if (needsFinalizer(p) && !raw.metadata.finalizers?.includes(FINALIZER)) {
        await this.d.client.apply({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace, finalizers: [FINALIZER] } } as Obj);
      }
      const password = await this.ensureMasterPassword(p, raw, owner);

      // 6. observe data services
      const data = await this.d.dataServices(p).observe(p, password);

      // 7. render desired state
      const conn = connectionData(p, data);
      const desired = renderPlatform(p, { connectionHash: conn ? connectionHash(conn) : undefined, fileSystemId: data.fileSystem?.fileSystemId, accessPointId: data.fileSystem?.accessPointId });
      if (conn) desired.push(connectionSecret(p, conn));
      const holds = heldBack(p, desired, data, conn !== undefined);

      // 8. apply
      const keep = new Set(desired.map(objectKey));
      if (password !== undefined) keep.add(objectKey({ kind: 'Secret', metadata: { namespace, name: databaseMasterSecretName(p) } }));
      // a service that stops being usable leaves the running workloads and their Secret alone
      if (platformHasConnection(p)) keep.add(objectKey({ kind: 'Secret', metadata: { namespace, name: connectionSecretName(p) } }));
      let error: string | undefined;
      for (const obj of desired) {
        if (holds.has(objectKey(obj))) continue;
        try {
          await this.applyOne(prepare(obj, owner), raw, log);
        } catch (err) {
          error = `${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`;
          log.error({ err: (err as Error).message, kind: obj.kind, name: obj.metadata.name }, 'apply failed');
        }
      }

      // 9. prune, only after a fully successful apply
      if (!error) {
        for (const o of this.d.store.owned(raw)) {
          if (keep.has(objectKey(o))) continue;
          await this.d.client.delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, namespace: o.metadata.namespace }, { uid: o.metadata.uid });
          this.d.metrics.pruned.inc({ kind: o.kind });
          this.d.events.normal(raw, 'Pruned', `deleted ${o.kind} ${o.metadata.name}: no longer in the spec`);
          log.info({ kind: o.kind, name: o.metadata.name }, 'pruned');
        }
      } else {
        this.d.events.warning(raw, 'ApplyFailed', error);
      }

      // 10. status
      const workloads: WorkloadObservation[] = desired
        .filter((o) => o.kind === 'Deployment')
        .map((o) => ({ name: o.metadata.name, live: this.d.store.get('apps/v1', 'Deployment', namespace, o.metadata.name), heldBack: holds.get(objectKey(o)) }));
      const status = computeStatus(p, { generation, data, wanted: wantedServices(p), workloads, error }, raw.status, this.now());
      await this.writeStatus(raw, status);
      this.recordTransitions(raw, raw.status, status);

      if (error) return retry(new Error(error));
      if (data.requeueAfterMs) return requeue(data.requeueAfterMs, 'waiting for data services');
      if (workloads.some((w) => !deploymentState(w).ready)) return requeue(30_000, 'waiting for rollouts');
      return done();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reconcile failed');
      return retry(err as Error);
    }
  }

  private async applyOne(obj: KubeObject, platform: Obj, log: Logger): Promise<void> {
    const live = this.d.store.get(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const v = verdict(obj, live);
    if (v === 'up-to-date') return;
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

  /** The master password: generated once, crypto-strong, kept in a Secret we own; never regenerated. */
  private async ensureMasterPassword(p: BookingPlatform, raw: Obj, owner: Owner): Promise<string | undefined> {
    if (!p.spec.database || p.spec.provisioner === 'external') return undefined;
    const namespace = p.metadata.namespace!;
    const name = databaseMasterSecretName(p);
    const cached = this.d.store.get('v1', 'Secret', namespace, name) ?? (await this.d.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace }));
    const existing = cached?.data?.password as string | undefined;
    if (existing) return Buffer.from(existing, 'base64').toString('utf8');
    // 32 characters from a URL- and shell-safe alphabet (RDS forbids / @ " and space)
    const password = randomBytes(24).toString('base64url');
    try {
      await this.d.client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name, namespace, labels: labels(p, 'database', 'credentials'), ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] },
        data: { username: Buffer.from(p.spec.database.username).toString('base64'), password: Buffer.from(password).toString('base64') },
      } as Obj);
      this.d.events.normal(raw, 'PasswordGenerated', `generated the database master password in Secret ${name}`);
      return password;
    } catch (err) {
      if (err instanceof KubeError && err.code === 409) {
        const again = await this.d.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
        return Buffer.from(String(again?.data?.password ?? ''), 'base64').toString('utf8') || undefined;
      }
      throw err;
    }
  }

  private async finalize(raw: Obj, p: BookingPlatform | undefined, log: Logger): Promise<Outcome> {
    if (!raw.metadata.finalizers?.includes(FINALIZER)) return done();
    const skip = raw.metadata.annotations?.[SKIP_CLEANUP_ANNOTATION] === 'true';
    if (p && !skip) {
      const result = await this.d.dataServices(p).finalize(p);
      if (!result.done) {
        const status = computeStatus(p, { generation: raw.metadata.generation ?? 0, deleting: result.message, wanted: wantedServices(p), workloads: [] }, raw.status, this.now());
        await this.writeStatus(raw, status);
        this.d.events.normal(raw, 'WaitingForCleanup', result.message);
        log.info({ message: result.message }, 'waiting for cleanup');
        return requeue(10_000, result.message);
      }
    }
    // cluster-scoped objects cannot be garbage-collected through owner references
    for (const o of this.d.store.owned(raw).filter((x) => !x.metadata.namespace)) {
      await this.d.client.delete({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name });
    }
    await this.d.client.apply({ apiVersion: API_VERSION, kind: KIND, metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace, finalizers: [] } } as Obj);
    log.info('cleanup done; finalizer removed');
    return done();
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
    if (is.status === 'True') this.d.events.normal(raw, 'Ready', is.message);
    else this.d.events.warning(raw, is.reason, is.message);
  }

  private now(): string {
    return (this.d.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

/** A finalizer only where something outside the namespace needs cleanup. */
export function needsFinalizer(p: BookingPlatform): boolean {
  return p.spec.provisioner === 'sdk' || (Boolean(p.spec.whatsapp?.enabled) && usesEfs(p));
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

/** Objects that must wait, by key, with the reason (shown in status). */
function heldBack(p: BookingPlatform, desired: KubeObject[], data: DataObservation, connectionReady: boolean): Map<string, string> {
  const holds = new Map<string, string>();
  const connName = connectionSecretName(p);
  for (const o of desired) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    const needsConnection = (pod.containers ?? []).some((c: any) => (c.envFrom ?? []).some((e: any) => e.secretRef?.name === connName));
    if (needsConnection && platformHasConnection(p) && !connectionReady) {
      holds.set(objectKey(o), `waiting for ${firstBlocked(p, data)}`);
    } else if (o.metadata.labels?.['app.kubernetes.io/name'] === 'whatsapp' && usesEfs(p) && !data.fileSystem?.fileSystemId) {
      holds.set(objectKey(o), `waiting for the file system: ${data.fileSystem?.message ?? 'not observed yet'}`);
    }
  }
  return holds;
}

function firstBlocked(p: BookingPlatform, data: DataObservation): string {
  for (const s of wantedServices(p)) {
    const st = data[s];
    if (s !== 'fileSystem' && !st?.ready) return `${s} (${st?.message ?? 'not observed yet'})`;
  }
  return 'the connection Secret';
}

function podSpecOf(o: KubeObject): any {
  const spec = o.spec as any;
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  if (o.kind === 'Deployment' || o.kind === 'Job') return spec?.template?.spec;
  return undefined;
}

