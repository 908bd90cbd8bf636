/**
 * Reconciler invariants over an in-memory apiserver and a recording data provider, table by
 * table: section removal under each policy, deletion (valid, invalid, paused, twice), lost
 * resources, credentials that outlive what they open, errors that reach status, prune only after
 * a fully successful apply, and ACK removal that lifts deletion protection before deleting.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../api/schema.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { PROTECTION_LIFTED_ANNOTATION } from '../data/ack-removal.ts';
import { CONFIRM_REMOVAL_ANNOTATION, LEDGER_ANNOTATION, readLedger, RECREATE_ANNOTATION } from '../data/ledger.ts';
import { lost } from '../data/lost.ts';
import { leftBehind, policyFor } from '../data/removal.ts';
import { notReady, ProviderBusyError, ready, wantedServices, type DataObservation, type DataServices, type FinalizeResult, type ObserveOptions, type RemoveOptions, type ServiceName } from '../data/types.ts';
import { dataServicesFor } from '../data/index.ts';
import type { Obj } from '../kube/client.ts';
import { DEFAULT_CONTEXT } from '../render/names.ts';
import { FakeCluster, goPodTemplate, invalid, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, set, withDatabase, withProvisioner, type Modifier } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { FINALIZER, Reconciler } from './reconciler.ts';

/** An sdk-like provider: every service usable at once; removal done on the second call. */
class RecordingData implements DataServices {
  observed: ObserveOptions[] = [];
  removed: Array<{ service: ServiceName; policy: string; finalSnapshot?: string }> = [];
  rotated: string[] = [];
  lostNow = new Set<ServiceName>();
  throwOnObserve?: Error;
  private calls = new Map<string, number>();

  async observe(p: BookingPlatform, password: string | undefined, opts: ObserveOptions = {}): Promise<DataObservation> {
    if (this.throwOnObserve) throw this.throwOnObserve;
    this.observed.push(opts);
    const o: DataObservation = {};
    for (const s of wantedServices(p)) {
      if (this.lostNow.has(s) && opts.existed?.includes(s)) o[s] = lost('DBInstance', 'db', s);
      else if (s === 'database') o.database = password ? { ...ready(), connection: { engine: 'postgres', host: 'db.internal', port: 5432, name: 'booking', user: 'booking', password } } : notReady('PasswordPending', 'no password');
      else o[s] = ready();
    }
    return o;
  }

  async remove(p: BookingPlatform, service: ServiceName, opts: RemoveOptions): Promise<FinalizeResult> {
    const policy = policyFor(p, service);
    this.removed.push({ service, policy, finalSnapshot: opts.finalSnapshot });
    const n = (this.calls.get(service) ?? 0) + 1;
    this.calls.set(service, n);
    if (n < 2) return { done: false, message: `deleting ${service}` };
    const left = leftBehind(p, DEFAULT_CONTEXT, service, policy, opts.finalSnapshot);
    return { done: true, message: `${service} done`, ...(left ? { left } : {}) };
  }

  async rotatePassword(_p: BookingPlatform, password: string): Promise<FinalizeResult> {
    this.rotated.push(password);
    return { done: true, message: 'rotated' };
  }
}

const events: Array<{ type: string; reason: string; message: string }> = [];
const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push({ type: 'Normal', reason, message }), warning: (_o: unknown, reason: string, message: string) => events.push({ type: 'Warning', reason, message }) } as unknown as EventRecorder;

let cluster: FakeCluster;
let data: RecordingData;
let clock: Date;

function reconciler(ds: (p: BookingPlatform) => DataServices = () => data): Reconciler {
  return new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: ds, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }), now: () => clock });
}

const NS = 'shop';
const key = `${NS}/${NS}`;
const stored = () => cluster.find(KIND, NS, NS)!;
const ledgerOf = () => readLedger(stored().metadata.annotations as Record<string, string>).ledger;
const cond = (type: string) => (stored().status?.conditions ?? []).find((c: any) => c.type === type);

function create(...mods: Modifier[]): Obj {
  return cluster.put(rawPlatform(NS, withProvisioner('sdk'), ...mods));
}

/** Edits the stored spec like `kubectl apply` would (generation + 1). */
function edit(fn: (spec: any) => void, annotations: Record<string, string> = {}): void {
  const o = stored();
  fn(o.spec);
  o.metadata.generation = (o.metadata.generation ?? 1) + 1;
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...annotations };
}

function markDeleted(): void {
  stored().metadata.deletionTimestamp = '2026-11-24T10:00:00Z' as never;
}

async function passes(n: number, r = reconciler()): Promise<void> {
  for (let i = 0; i < n && cluster.find(KIND, NS, NS); i++) await r.reconcile(key);
}

beforeEach(() => {
  cluster = new FakeCluster();
  data = new RecordingData();
  events.length = 0;
  clock = new Date('2026-11-24T10:00:00Z');
});

describe('the ledger records what is provisioned before anything is created', () => {
  it('writes the database entry and the master Secret name, then marks it observed once usable', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    const l = ledgerOf();
    expect(l.services.database).toMatchObject({ provisioner: 'sdk', secret: 'shop-db-master', observed: true, spec: { deletionPolicy: 'Snapshot' } });
    expect(stored().metadata.finalizers).toEqual([FINALIZER]);
    // the finalizer is added by a patch guarded by uid, never by an apply that could create the object
    expect(cluster.writesOf('apply', KIND)).toEqual([]);
    expect(cond('Ready')?.status).toBe('True');
  });

  it('a second pass over an unchanged world writes nothing', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    const before = cluster.writes.length;
    await reconciler().reconcile(key);
    expect(cluster.writes.slice(before)).toEqual([]);
  });
});

describe('removing a section follows its recorded deletionPolicy', () => {
  it.each([
    { policy: 'Retain', confirm: false, removes: true, secret: 'kept', left: /^DBInstance bkp-/ },
    { policy: 'Snapshot', confirm: false, removes: false, secret: 'owned', left: undefined },
    { policy: 'Snapshot', confirm: true, removes: true, secret: 'kept', left: /^DBSnapshot bkp-.*-final-20261124t100000$/ },
    { policy: 'Delete', confirm: false, removes: false, secret: 'owned', left: undefined },
    { policy: 'Delete', confirm: true, removes: true, secret: 'deleted', left: undefined },
  ])('$policy (confirmed: $confirm)', async ({ policy, confirm, removes, secret, left }) => {
    create(withDatabase({ deletionPolicy: policy }));
    await reconciler().reconcile(key);
    edit((spec) => delete spec.database, confirm ? { [CONFIRM_REMOVAL_ANNOTATION]: 'database' } : {});
    await passes(3);

    expect(data.removed.length > 0).toBe(removes);
    if (removes) expect(data.removed.every((r) => r.policy === policy)).toBe(true);
    const s = cluster.find('Secret', NS, 'shop-db-master');
    if (secret === 'deleted') expect(s).toBeUndefined();
    if (secret === 'kept') {
      expect(s?.metadata.ownerReferences ?? []).toEqual([]);
      expect(s?.metadata.annotations?.['platform.booking.io/credential-for']).toMatch(/^DB/);
    }
    if (secret === 'owned') expect(s?.metadata.ownerReferences?.[0]?.uid).toBe(stored().metadata.uid);
    if (removes) {
      expect(ledgerOf().services.database).toBeUndefined();
      const released = stored().status?.released ?? [];
      if (left) expect(released).toEqual([expect.objectContaining({ service: 'database', policy, resource: expect.stringMatching(left) })]);
      else expect(released).toEqual([]);
      expect(cond('Ready')?.status).toBe('True');
    } else {
      expect(ledgerOf().services.database).toBeDefined();
      expect(cond('Stalled')).toMatchObject({ status: 'True', reason: 'RemovalNeedsConfirmation' });
      expect(cond('Ready')?.message).toContain(`${CONFIRM_REMOVAL_ANNOTATION}=database`);
      expect(events.some((e) => e.reason === 'RemovalNeedsConfirmation')).toBe(true);
    }
  });

  it('putting the section back cancels a removal that waits for confirmation', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    edit((spec) => delete spec.database);
    await reconciler().reconcile(key);
    edit((spec) => (spec.database = { engine: 'postgres', version: '16' }));
    await reconciler().reconcile(key);
    expect(data.removed).toEqual([]);
    expect(cond('Ready')?.status).toBe('True');
  });
});

describe('deleting the platform', () => {
  it('carries out every policy from the ledger, then lifts the finalizer by guarded patch', async () => {
    create(withDatabase(), set('uploads', { enabled: true, deletionPolicy: 'Delete' }));
    await reconciler().reconcile(key);
    markDeleted();
    await reconciler().reconcile(key);
    expect(stored().status?.phase).toBe('Deleting');
    expect(cond('Ready')).toMatchObject({ reason: 'Deleting', message: expect.stringContaining('database: deleting database') });
    await passes(3);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
    expect(data.removed.map((r) => r.service).sort()).toEqual(['database', 'database', 'uploads', 'uploads']);
    expect(cluster.writesOf('apply', KIND)).toEqual([]);
    // Snapshot keeps the credential of what it leaves
    expect(cluster.find('Secret', NS, 'shop-db-master')?.metadata.ownerReferences ?? []).toEqual([]);
  });

  it('names a new final snapshot for each deletion of a platform re-created under the same name', async () => {
    const snapshots: string[] = [];
    for (const at of ['2026-11-24T10:00:00Z', '2026-11-25T08:30:00Z']) {
      clock = new Date(at);
      data = new RecordingData();
      create(withDatabase());
      await reconciler().reconcile(key);
      markDeleted();
      await passes(4);
      expect(cluster.find(KIND, NS, NS)).toBeUndefined();
      snapshots.push(data.removed[0]!.finalSnapshot!);
      // the same name on every retry of one deletion
      expect(new Set(data.removed.map((r) => r.finalSnapshot)).size).toBe(1);
    }
    expect(snapshots[0]).not.toBe(snapshots[1]);
  });

  it('finalizes from the ledger when the stored spec no longer validates', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    delete stored().spec.backend; // required: rules newer than the stored object
    markDeleted();
    await passes(4);
    expect(data.removed.map((r) => r.service)).toEqual(['database', 'database']);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
  });

  it('a platform from before the ledger is finalized from its stored spec', async () => {
    const o = create(withDatabase({ deletionPolicy: 'Retain' }));
    o.metadata.finalizers = [FINALIZER];
    markDeleted();
    await passes(4);
    expect(data.removed.map((r) => r.policy)).toEqual(['Retain', 'Retain']);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
  });

  it('paused holds deletion too, and says so', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    stored().spec.paused = true;
    markDeleted();
    await passes(3);
    expect(data.removed).toEqual([]);
    expect(stored().metadata.finalizers).toEqual([FINALIZER]);
    expect(cond('Ready')).toMatchObject({ reason: 'Deleting', message: expect.stringContaining('spec.paused is true') });
  });

  it('skip-cleanup leaves AWS alone but keeps the database credential', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    stored().metadata.annotations!['platform.booking.io/skip-cleanup'] = 'true';
    markDeleted();
    await passes(2);
    expect(data.removed).toEqual([]);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
    expect(cluster.find('Secret', NS, 'shop-db-master')?.metadata.ownerReferences ?? []).toEqual([]);
  });
});

describe('a lost stateful resource is reported, never re-created empty', () => {
  it('sdk: the provider is told it existed; status stalls with what to do; the annotation opts in to an empty one', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    data.lostNow.add('database');
    await reconciler().reconcile(key);
    expect(data.observed.at(-1)?.existed).toEqual(['database']);
    expect(cond('Stalled')).toMatchObject({ status: 'True' });
    expect(cond('DatabaseReady')).toMatchObject({ status: 'False', reason: 'Missing', message: expect.stringContaining(RECREATE_ANNOTATION) });
    edit(() => undefined, { [RECREATE_ANNOTATION]: 'database' });
    await reconciler().reconcile(key);
    expect(data.observed.at(-1)?.existed).toEqual([]);
  });

  it('ack: a deleted DBInstance object is not applied again', async () => {
    cluster.put(rawPlatform(NS, withDatabase()));
    const ack = dataServicesFor({ ackLookup: (av, k, ns, n) => cluster.get(av, k, ns, n) as { spec?: any; status?: any } | undefined, readSecret: async () => undefined, ackWriter: cluster.ackWriter(), now: () => clock });
    const r = reconciler(ack);
    await r.reconcile(key);
    const db = cluster.objects.get([...cluster.objects.keys()].find((k) => k.startsWith('DBInstance/'))!)!;
    db.status = { dbInstanceStatus: 'available', endpoint: { address: 'db.internal', port: 5432 }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True' }] };
    await r.reconcile(key);
    expect(ledgerOf().services.database?.observed).toBe(true);
    cluster.objects.delete([...cluster.objects.keys()].find((k) => k.startsWith('DBInstance/'))!);
    const applies = cluster.writesOf('apply', 'DBInstance').length;
    await r.reconcile(key);
    expect(cluster.writesOf('apply', 'DBInstance').length).toBe(applies);
    expect(cond('DatabaseReady')).toMatchObject({ reason: 'Missing' });
  });
});

describe('credentials', () => {
  it('a lost master Secret is regenerated under a new name and set on the database before apps read it', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    cluster.objects.delete(`Secret/${NS}/shop-db-master`);
    await reconciler().reconcile(key);
    const secret = ledgerOf().services.database!.secret!;
    expect(secret).toMatch(/^shop-db-master-[0-9a-f]{6}$/);
    const pw = Buffer.from(String(cluster.find('Secret', NS, secret)!.data!.password), 'base64').toString();
    expect(data.rotated).toEqual([pw]);
    expect(ledgerOf().services.database!.rotate).toBeUndefined();
    const conn = cluster.find('Secret', NS, 'shop-connection')!;
    expect(Buffer.from(String(conn.data!.DB_PASSWORD), 'base64').toString()).toBe(pw);
  });
});

describe('errors are visible', () => {
  it('a reconcile that throws replaces Ready=True with Ready=False and a reason', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    expect(cond('Ready')?.status).toBe('True');
    data.throwOnObserve = new Error('socket hang up\n    at Object.<anonymous> (x.js:1:1)');
    const out = await reconciler().reconcile(key);
    expect(out.type).toBe('retry');
    expect(cond('Ready')).toMatchObject({ status: 'False', reason: 'ReconcileError', message: 'socket hang up' });
  });

  it('a busy provider requeues without touching status', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    const before = cluster.writes.length;
    data.throwOnObserve = new ProviderBusyError('all AWS slots busy', 2_000);
    expect(await reconciler().reconcile(key)).toMatchObject({ type: 'requeue', afterMs: 2_000 });
    expect(cluster.writes.slice(before)).toEqual([]);
  });

  it('prunes only after every apply of the pass succeeded', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    const orphan = cluster.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: NS, ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: NS, uid: stored().metadata.uid, controller: true }] } });
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    cluster.failNext = { verb: 'apply', kind: 'Deployment', code: 500, message: 'etcd timeout' };
    await reconciler().reconcile(key);
    expect(cluster.find('ConfigMap', NS, 'old')?.metadata.uid).toBe(orphan.metadata.uid);
    await reconciler().reconcile(key);
    expect(cluster.find('ConfigMap', NS, 'old')).toBeUndefined();
  });
});

describe('the apiserver refuses an object (4xx): terminal for that object, short and value-free', () => {
  const secretValue = 'sk-live-0123456789';
  const refuseBackend = (obj: Obj) =>
    obj.kind === 'Deployment' && obj.metadata.name === 'shop-backend' ? invalid('Deployment.apps', 'shop-backend', 'spec.template', goPodTemplate({ API_KEY: secretValue }), 'field is immutable') : undefined;

  it('422: Stalled names the object and field, no Go struct or env value anywhere; the same object is not sent again; nothing is pruned', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    const orphan = cluster.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: NS, ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: NS, uid: stored().metadata.uid, controller: true }] } });
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    cluster.refuseApply = refuseBackend;

    const r = reconciler();
    expect(await r.reconcile(key)).toMatchObject({ type: 'terminal' });
    const stalled = cond('Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'ApplyRejected' });
    expect(stalled.message).toContain('Deployment shop-backend');
    expect(stalled.message).toContain('spec.template');
    expect(stalled.message).toContain('field is immutable');
    expect(stalled.message.length).toBeLessThan(300);
    expect(cond('Ready')).toMatchObject({ status: 'False', reason: 'ApplyRejected' });
    const visible = JSON.stringify(stored().status) + JSON.stringify(events);
    for (const leak of [secretValue, 'core.', 'EnvVar', 'PodTemplateSpec']) expect(visible).not.toContain(leak);
    const rejections = events.filter((e) => e.reason === 'ApplyRejected').length;
    expect(rejections).toBeGreaterThan(0);
    // prune needs every apply of the pass to succeed
    expect(cluster.find('ConfigMap', NS, 'old')?.metadata.uid).toBe(orphan.metadata.uid);

    // no retry storm: further passes (a resync, another event) send nothing
    const before = cluster.writes.length;
    await r.reconcile(key);
    await r.reconcile(key);
    expect(cluster.writes.slice(before)).toEqual([]);
    expect(events.filter((e) => e.reason === 'ApplyRejected')).toHaveLength(rejections);

    // a new spec is tried again
    cluster.refuseApply = undefined;
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.1'));
    expect(await r.reconcile(key)).toMatchObject({ type: 'done' });
    expect(cluster.find('Deployment', NS, 'shop-backend')?.spec.template.spec.containers[0].image).toBe('registry.example/backend:2.0.1');
    expect(cond('Stalled')?.status).toBe('False');
    expect(cluster.find('ConfigMap', NS, 'old')).toBeUndefined();
  });

  it('5xx stays transient: retried with backoff, the message cut to one value-free line', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    cluster.failNext = { verb: 'apply', kind: 'Deployment', code: 500, message: `Internal error occurred: Object: &{map[env:[map[name:API_KEY value:${secretValue}]]]}` };
    expect(await reconciler().reconcile(key)).toMatchObject({ type: 'retry' });
    expect(cond('Stalled')?.status).toBe('False');
    expect(cond('Ready')).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(JSON.stringify(stored().status) + JSON.stringify(events)).not.toContain(secretValue);
  });
});

describe('migrations run before the rollout', () => {
  const withMigrations = set('migrations', { command: ['alembic', 'upgrade', 'head'] });
  const jobs = () => [...cluster.objects.values()].filter((o) => o.kind === 'Job');
  const onlyJob = () => {
    expect(jobs()).toHaveLength(1);
    return jobs()[0]!;
  };
  /** Plays the Job controller. */
  const finish = (job: Obj, type: 'Complete' | 'Failed', reason = type === 'Complete' ? 'Completed' : 'BackoffLimitExceeded', message = type === 'Complete' ? 'Reached expected number of succeeded pods' : 'Job has reached the specified backoff limit') => {
    job.status = { conditions: [{ type, status: 'True', reason, message }], ...(type === 'Complete' ? { succeeded: 1 } : { failed: 4 }) };
  };
  const backendImage = () => cluster.find('Deployment', NS, 'shop-backend')?.spec.template.spec.containers[0].image;

  it('a new pod template (resources, the connection) is a new Job and the old one is pruned: no 422, nothing jams', async () => {
    create(withDatabase(), withMigrations);
    const r = reconciler();
    await r.reconcile(key);
    const first = onlyJob();
    finish(first, 'Complete');
    await r.reconcile(key);
    expect(cond('Ready')?.status).toBe('True');

    edit((spec) => (spec.backend.resources = { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } }));
    expect((await r.reconcile(key)).type).not.toBe('retry');
    const second = onlyJob();
    expect(second.metadata.name).not.toBe(first.metadata.name);
    expect(second.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '2Gi' });
    expect(cond('Stalled')?.status).toBe('False');
    finish(second, 'Complete');
    await r.reconcile(key);
    expect(cluster.find('Deployment', NS, 'shop-backend')?.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '2Gi' });
    expect(cond('Ready')?.status).toBe('True');

    // a lost master Secret: a new password, so a new connection hash in every pod template
    cluster.objects.delete(`Secret/${NS}/shop-db-master`);
    expect((await r.reconcile(key)).type).not.toBe('retry');
    const third = onlyJob();
    expect(third.metadata.name).not.toBe(second.metadata.name);
    expect(cluster.writesOf('apply', 'Job').map((w) => w.name)).toEqual([first.metadata.name, second.metadata.name, third.metadata.name]);
  });

  it('Deployments that use the connection wait for the current Job; the running version stays until it succeeds', async () => {
    create(withDatabase(), withMigrations);
    const r = reconciler();
    expect(await r.reconcile(key)).toMatchObject({ type: 'requeue' });
    const first = onlyJob();
    expect(backendImage()).toBeUndefined();
    expect(cond('WorkloadsReady')).toMatchObject({ status: 'False', reason: 'WaitingForMigrations', message: expect.stringContaining(first.metadata.name) });
    expect(cond('Stalled')?.status).toBe('False');
    finish(first, 'Complete');
    await r.reconcile(key);
    expect(backendImage()).toBe('registry.example/backend:1.0.0');
    expect(cond('Ready')?.status).toBe('True');

    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    await r.reconcile(key);
    const second = onlyJob(); // the completed one is pruned
    expect(second.metadata.name).not.toBe(first.metadata.name);
    expect(second.spec.template.spec.containers[0].image).toBe('registry.example/backend:2.0.0');
    expect(backendImage()).toBe('registry.example/backend:1.0.0');
    expect(cond('WorkloadsReady')).toMatchObject({ reason: 'WaitingForMigrations', message: expect.stringContaining(second.metadata.name) });
    finish(second, 'Complete');
    await r.reconcile(key);
    expect(backendImage()).toBe('registry.example/backend:2.0.0');
    expect(cond('Ready')?.status).toBe('True');
  });

  it("a failed Job stops the rollout: Stalled names the Job and its pod's reason (never the pod's output); a new spec tries again", async () => {
    create(withDatabase(), withMigrations);
    const r = reconciler();
    await r.reconcile(key);
    finish(onlyJob(), 'Complete');
    await r.reconcile(key);
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    await r.reconcile(key);
    const job = onlyJob();
    finish(job, 'Failed');
    const podLabels = { 'batch.kubernetes.io/controller-uid': job.metadata.uid!, 'batch.kubernetes.io/job-name': job.metadata.name };
    cluster.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${job.metadata.name}-abcde`, namespace: NS, labels: podLabels, creationTimestamp: '2026-11-24T10:01:00Z' }, status: { phase: 'Failed', containerStatuses: [{ name: 'migrate', state: { terminated: { reason: 'Error', exitCode: 3, message: 'sqlalchemy: password=hunter2 rejected' } } }] } });

    expect(await r.reconcile(key)).toMatchObject({ type: 'terminal' });
    expect(backendImage()).toBe('registry.example/backend:1.0.0');
    const stalled = cond('Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'MigrationsFailed' });
    for (const part of [job.metadata.name, 'BackoffLimitExceeded', `${job.metadata.name}-abcde`, 'Error', 'exit code 3']) expect(stalled.message).toContain(part);
    expect(JSON.stringify(stored().status) + JSON.stringify(events)).not.toContain('hunter2');
    expect(stored().status?.phase).toBe('Failed');
    const before = cluster.writes.length;
    await r.reconcile(key);
    expect(cluster.writes.slice(before)).toEqual([]);

    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.1'));
    await r.reconcile(key);
    finish(onlyJob(), 'Complete');
    await r.reconcile(key);
    expect(backendImage()).toBe('registry.example/backend:2.0.1');
    expect(cond('Stalled')?.status).toBe('False');
    expect(cond('Ready')?.status).toBe('True');
  });
});

describe('two platforms in one namespace', () => {
  it('never take each other\'s children: the second is Stalled naming the first', async () => {
    create(withDatabase());
    await reconciler().reconcile(key);
    // platform "other" renders a child with the same name (e.g. `shop` + service `api-backend` vs platform `shop-api`)
    const svc = cluster.find('Service', NS, 'shop-backend')!;
    svc.metadata.ownerReferences = [{ apiVersion: API_VERSION, kind: KIND, name: 'other', uid: 'uid-other', controller: true }];
    svc.metadata.annotations = {}; // and it differs from what this platform renders
    edit((spec) => (spec.backend.image = 'registry.example/backend:2.0.0'));
    await reconciler().reconcile(key);
    expect(cluster.find('Service', NS, 'shop-backend')!.metadata.ownerReferences![0]!.uid).toBe('uid-other');
    expect(cond('Stalled')).toMatchObject({ status: 'True', message: expect.stringContaining('Service shop-backend belongs to platform other') });
    expect(events.some((e) => e.reason === 'NameConflict')).toBe(true);
  });
});

describe('prune never deletes an ACK object that holds data', () => {
  it('a DBInstance no longer rendered (an identifier from an earlier version) is left alone, with a Warning', async () => {
    const p = cluster.put(rawPlatform(NS, withDatabase()));
    const ack = dataServicesFor({ ackLookup: (av, k, ns, n) => cluster.get(av, k, ns, n) as { spec?: any; status?: any } | undefined, readSecret: async () => undefined, ackWriter: cluster.ackWriter(), now: () => clock });
    const owner = [{ apiVersion: API_VERSION, kind: KIND, name: NS, uid: p.metadata.uid, controller: true }];
    const labels = { 'app.kubernetes.io/component': 'data', 'app.kubernetes.io/name': 'database' };
    cluster.put({ apiVersion: 'rds.services.k8s.aws/v1alpha1', kind: 'DBInstance', metadata: { name: 'bkp-shop-shop-db', namespace: NS, labels, ownerReferences: owner }, spec: {} });
    cluster.put({ apiVersion: 'rds.services.k8s.aws/v1alpha1', kind: 'DBInstance', metadata: { name: 'bkp-shop-shop-db-1', namespace: NS, labels, ownerReferences: owner }, spec: { dbClusterIdentifier: 'x' } });
    await reconciler(ack).reconcile(key);
    expect(cluster.find('DBInstance', NS, 'bkp-shop-shop-db')).toBeDefined();
    expect(cluster.find('DBInstance', NS, 'bkp-shop-shop-db-1')).toBeUndefined();
    expect(events.some((e) => e.reason === 'NotPruned' && e.message.includes('bkp-shop-shop-db '))).toBe(true);
  });
});

describe('ack: deletion with the production defaults', () => {
  it('lifts deletion protection, waits for ACK to apply it, then deletes with a unique final snapshot', async () => {
    cluster.put(rawPlatform(NS, set('environment', 'production'), withDatabase()));
    // the removal's clock is the test's: with the wall clock, this test failed once the real time of
    // day passed the test's 10:00:31 (ACK's sync then looked older than the lift)
    const ack = dataServicesFor({ ackLookup: (av, k, ns, n) => cluster.get(av, k, ns, n) as { spec?: any; status?: any } | undefined, readSecret: async () => undefined, ackWriter: cluster.ackWriter(), now: () => clock });
    const r = reconciler(ack);
    await r.reconcile(key);
    const dbKey = [...cluster.objects.keys()].find((k) => k.startsWith('DBInstance/'))!;
    const db = () => cluster.objects.get(dbKey)!;
    expect(db().spec.deletionProtection).toBe(true);
    db().metadata.finalizers = ['finalizers.rds.services.k8s.aws/DBInstance'];
    db().status = { dbInstanceStatus: 'available', endpoint: { address: 'db.internal', port: 5432 }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True', lastTransitionTime: '2026-11-24T09:00:00Z' }] };
    await r.reconcile(key);
    markDeleted();

    await r.reconcile(key);
    expect(db().spec.deletionProtection).toBe(false);
    expect(db().metadata.annotations?.[PROTECTION_LIFTED_ANNOTATION]).toBeDefined();
    expect(db().metadata.annotations?.['rds.services.k8s.aws/skip-final-snapshot']).toBe('false');
    expect(db().metadata.annotations?.['rds.services.k8s.aws/final-db-snapshot-identifier']).toMatch(/-final-20261124t100000$/);
    expect(db().metadata.deletionTimestamp).toBeUndefined();

    // ACK has not reconciled since: still waiting, and status says for what
    await r.reconcile(key);
    expect(db().metadata.deletionTimestamp).toBeUndefined();
    expect(cond('Ready')?.message).toContain('waiting for ACK to turn off deletion protection');

    // ACK: Modify, Synced=False, then 30 s later Synced=True
    clock = new Date('2026-11-24T10:00:31Z');
    cluster.put({ ...db(), status: { ...db().status, conditions: [{ type: 'ACK.ResourceSynced', status: 'True', lastTransitionTime: '2026-11-24T10:00:31Z' }] } });
    await r.reconcile(key);
    expect(db().metadata.deletionTimestamp).toBeDefined();
    expect(cluster.find(KIND, NS, NS)).toBeDefined();

    // ACK accepts the delete and lets the object go
    cluster.objects.delete(dbKey);
    for (const k of [...cluster.objects.keys()].filter((x) => x.startsWith('DBSubnetGroup/'))) cluster.objects.delete(k);
    await passes(3, r);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
    expect(events.some((e) => e.reason === 'DataServiceRemoved' && /DBSnapshot .*-final-20261124t100000 stays in AWS/.test(e.message))).toBe(true);
  });
});

void LEDGER_ANNOTATION;
