/**
 * The BookingPlatform controller: informers feed a work queue keyed by namespace/name; workers
 * run the reconciler with bounded concurrency; outcomes map onto queue behaviour here and only
 * here. A periodic resync re-queues every platform.
 *
 * Optional kinds (ACK's) not served at start are looked up again — every `discoveryMs`, and when
 * a reconcile asks for one — and watched once served, after which every platform is re-queued:
 * installing ACK after the operator needs no restart.
 *
 * Workers start a reconcile only while `leading()` holds; once it fails the queue is shut and
 * nothing more is started (the kube client's write fence stops the in-flight ones' writes).
 */
import type { Logger } from 'pino';
import { API_VERSION, KIND } from '../api/schema.ts';
import type { KubeClient, Obj } from '../kube/client.ts';
import { Informer } from '../kube/informer.ts';
import { FIELD_MANAGER, MANAGED_BY, PLATFORM_LABEL } from '../render/names.ts';
import { KindDiscovery, OWNED_KINDS, type WatchedKind } from './kinds.ts';
import { CONTROLLER, type Metrics } from './metrics.ts';
import type { Outcome } from './outcome.ts';
import { WorkQueue } from './queue.ts';
import type { Reconciler, Store } from './reconciler.ts';

export interface ControllerOptions {
  /** Namespaces to watch; empty: all. */
  namespaces: string[];
  concurrency: number;
  resyncMs: number;
  watchTimeoutSeconds?: number;
  /** How often kinds not served yet (ACK not installed) are looked up again; default 30 s. */
  discoveryMs?: number;
}

export class Controller implements Store {
  readonly queue: WorkQueue;
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly opts: ControllerOptions;
  private readonly platforms: Informer[] = [];
  private readonly ownedInformers = new Map<string, Informer[]>();
  private readonly kinds: KindDiscovery;
  private reconciler?: Reconciler;
  private leading: () => boolean = () => true;
  private workers: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;
  private discoveryTimer?: NodeJS.Timeout;
  private informerRuns: Promise<void>[] = [];
  private stopped = false;

  constructor(client: KubeClient, log: Logger, metrics: Metrics, opts: ControllerOptions) {
    this.client = client;
    this.log = log;
    this.metrics = metrics;
    this.opts = opts;
    this.queue = new WorkQueue({ metrics: metrics.queueMetrics() });
    this.kinds = new KindDiscovery((apiVersion, kind) => client.serves(apiVersion, kind), OWNED_KINDS);
  }

  /** Starts the informers (a standby replica keeps warm caches too). */
  async startInformers(): Promise<void> {
    const scopes = this.opts.namespaces.length ? this.opts.namespaces : [undefined];
    for (const ns of scopes) {
      const inf = new Informer(this.client, this.log, { apiVersion: API_VERSION, kind: KIND, namespace: ns, watchTimeoutSeconds: this.opts.watchTimeoutSeconds, onRestart: this.countRestart(KIND), transform: withoutManagedFields });
      inf.on((event, obj, old) => {
        if (event === 'update' && old && !platformChanged(old, obj)) return;
        this.enqueue(obj.metadata.namespace!, obj.metadata.name);
      });
      this.platforms.push(inf);
    }
    const served = await this.kinds.check();
    for (const k of OWNED_KINDS) {
      if (!k.optional || served.includes(k)) this.watchOwned(k);
    }
    for (const k of this.kinds.unserved()) this.log.info({ kind: k.kind, apiVersion: k.apiVersion }, 'kind not served; watching it once it is (ACK not installed?)');
    this.informerRuns = this.allInformers().map((i) => i.run());
    if (this.kinds.unserved().length) {
      this.discoveryTimer = setInterval(() => void this.discoverKinds(), this.opts.discoveryMs ?? 30_000);
      this.discoveryTimer.unref();
    }
  }

  /** Creates the informers of one owned kind (one per watched namespace, unless cluster scoped). */
  private watchOwned(k: WatchedKind): Informer[] {
    const scopes = k.clusterScoped || !this.opts.namespaces.length ? [undefined] : this.opts.namespaces;
    const list = scopes.map((ns) => {
      const inf = new Informer(this.client, this.log, {
        apiVersion: k.apiVersion,
        kind: k.kind,
        namespace: ns,
        labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`,
        watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
        index: ownerIndex,
        onRestart: this.countRestart(k.kind),
        transform: withoutManagedFields,
      });
      inf.on((_e, obj) => {
        const owner = ownerKey(obj, k);
        if (owner) this.enqueue(owner[0], owner[1]);
      });
      return inf;
    });
    this.ownedInformers.set(kindKey(k.apiVersion, k.kind), list);
    return list;
  }

  /**
   * Watches the optional kinds served since the last look; once their caches are filled, re-queues
   * every platform (one whose apply failed for want of the kind may be far into its backoff).
   */
  private async discoverKinds(): Promise<void> {
    let found: WatchedKind[];
    try {
      found = await this.kinds.check();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'discovery failed; looking again later');
      return;
    }
    if (this.stopped || !found.length) return;
    const started = found.flatMap((k) => this.watchOwned(k));
    this.informerRuns.push(...started.map((i) => i.run()));
    this.log.info({ kinds: found.map((k) => `${k.apiVersion}/${k.kind}`) }, 'kinds now served; watching them');
    if (!this.kinds.unserved().length) clearInterval(this.discoveryTimer);
    await Promise.all(started.map((i) => i.whenSynced()));
    if (this.stopped) return;
    for (const p of this.platformObjects()) this.enqueue(p.metadata.namespace!, p.metadata.name);
  }

  synced(): boolean {
    return this.allInformers().every((i) => i.hasSynced());
  }

  async waitForSync(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced()) {
      if (Date.now() > deadline) throw new Error('informer caches did not sync');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts the workers (only the leader does); they start no reconcile once `leading()` is false. */
  startWorkers(reconciler: Reconciler, leading: () => boolean = () => true): void {
    this.reconciler = reconciler;
    this.leading = leading;
    this.metrics.maxConcurrent.set({ controller: CONTROLLER }, this.opts.concurrency);
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.worker());
    for (const p of this.platformObjects()) this.enqueue(p.metadata.namespace!, p.metadata.name);
    this.resyncTimer = setInterval(() => {
      for (const p of this.platformObjects()) this.enqueue(p.metadata.namespace!, p.metadata.name);
    }, this.opts.resyncMs);
    this.resyncTimer.unref();
  }

  /** Stops taking work, waits up to `graceMs` for in-flight reconciles, stops the watches. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearInterval(this.discoveryTimer);
    this.queue.shutDown();
    const drained = Promise.all(this.workers);
    await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const i of this.allInformers()) i.stop();
    await Promise.race([Promise.all(this.informerRuns), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  enqueue(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`);
  }

  // Store ----------------------------------------------------------------------------------

  platform(namespace: string, name: string): Obj | undefined {
    for (const i of this.platforms) {
      const o = i.get(namespace, name);
      if (o) return o;
    }
    return undefined;
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const informers = this.ownedInformers.get(kindKey(apiVersion, kind));
    // a platform needs a kind that was not served: perhaps it is now (throttled inside)
    if (!informers && this.kinds.isUnserved(apiVersion, kind)) void this.discoverKinds();
    for (const i of informers ?? []) {
      const o = i.get(namespace, name);
      if (o) return o;
    }
    return undefined;
  }

  owned(platform: Obj): Obj[] {
    const keys = [platform.metadata.uid!, clusterScopedKey(platform.metadata.namespace!, platform.metadata.name)];
    return [...this.ownedInformers.values()].flat().flatMap((i) => keys.flatMap((k) => i.byIndex(k)));
  }

  private countRestart(kind: string): () => void {
    return () => this.metrics.informerRestarts.inc({ kind });
  }

  private platformObjects(): Obj[] {
    return this.platforms.flatMap((i) => i.list());
  }

  private allInformers(): Informer[] {
    return [...this.platforms, ...[...this.ownedInformers.values()].flat()];
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.leading()) {
        this.log.warn({ platform: key }, 'not the leader any more; starting no further reconcile');
        this.queue.shutDown();
        this.queue.done(key);
        return;
      }
      this.metrics.activeWorkers.inc({ controller: CONTROLLER });
      const end = this.metrics.reconcileTime.startTimer({ controller: CONTROLLER });
      let outcome: Outcome;
      try {
        outcome = await this.reconciler!.reconcile(key);
      } catch (err) {
        outcome = { type: 'retry', error: err as Error };
      }
      end();
      this.metrics.activeWorkers.dec({ controller: CONTROLLER });
      this.handle(key, outcome);
      this.queue.done(key);
    }
  }

  /** The one place outcomes become queue behaviour. */
  private handle(key: string, outcome: Outcome): void {
    switch (outcome.type) {
      case 'done':
        this.metrics.reconcileTotal.inc({ controller: CONTROLLER, result: 'success' });
        this.queue.forget(key);
        break;
      case 'requeue':
        this.metrics.reconcileTotal.inc({ controller: CONTROLLER, result: 'requeue_after' });
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.afterMs);
        break;
      case 'retry': {
        this.metrics.reconcileTotal.inc({ controller: CONTROLLER, result: 'error' });
        this.metrics.reconcileErrors.inc({ controller: CONTROLLER });
        const delay = this.queue.addRateLimited(key);
        this.log.warn({ platform: key, err: outcome.error.message, retryInMs: delay }, 'reconcile failed; retrying');
        break;
      }
      case 'terminal':
        this.metrics.reconcileTotal.inc({ controller: CONTROLLER, result: 'success' });
        this.queue.forget(key);
        break;
    }
  }
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** The platform key an owned object belongs to. */
function ownerKey(obj: Obj, k: WatchedKind): [string, string] | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND);
  if (ref && obj.metadata.namespace) return [obj.metadata.namespace, ref.name];
  const name = obj.metadata.labels?.[PLATFORM_LABEL];
  const ns = k.clusterScoped ? (obj.spec?.claimRef?.namespace as string | undefined) : obj.metadata.namespace;
  return name && ns ? [ns, name] : undefined;
}

/**
 * The owner an object is indexed under: the uid of its controller reference, or — for
 * PersistentVolumes, which cannot have a namespaced owner — our label and the claim's namespace.
 */
function ownerIndex(o: Obj): string | undefined {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller);
  if (ref) return ref.uid;
  const name = o.metadata.labels?.[PLATFORM_LABEL];
  const ns = o.spec?.claimRef?.namespace as string | undefined;
  return !o.metadata.namespace && name && ns ? clusterScopedKey(ns, name) : undefined;
}

/**
 * An object as the caches keep it: without `metadata.managedFields` (often a third of an object,
 * and read by nothing but apply.ts's replicasHandover), except a stub of our own Apply entry when
 * it claims `spec.replicas`, which is all that function asks of it.
 */
export function withoutManagedFields(o: Obj): Obj {
  const fields = o.metadata.managedFields;
  if (!fields) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  const claimsReplicas = fields.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && (m.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'] !== undefined);
  const stub = claimsReplicas ? [{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }] : undefined;
  return { ...o, metadata: stub ? { ...metadata, managedFields: stub } : metadata };
}

function clusterScopedKey(namespace: string, name: string): string {
  return `cluster-scoped:${namespace}/${name}`;
}

/** Spec, deletion or metadata the reconciler reads changed (not just our own status write). */
function platformChanged(old: Obj, obj: Obj): boolean {
  return (
    old.metadata.generation !== obj.metadata.generation ||
    Boolean(old.metadata.deletionTimestamp) !== Boolean(obj.metadata.deletionTimestamp) ||
    JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(obj.metadata.annotations ?? {}) ||
    JSON.stringify(old.metadata.finalizers ?? []) !== JSON.stringify(obj.metadata.finalizers ?? [])
  );
}
