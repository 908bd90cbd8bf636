/**
 * Credentials mode `managed` through the reconciler over an in-memory apiserver: RDS keeps the
 * master password in Secrets Manager (here a map standing in for it behind the ack provider's
 * reader), so no Kubernetes master Secret is created, regenerated or kept; the connection Secret is
 * built from RDS's secret and a rotated value rolls the pods; a retained database's release names
 * no Kubernetes Secret.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../api/schema.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import type { MasterSecretReader } from '../data/ack.ts';
import { dataServicesFor } from '../data/index.ts';
import { readLedger } from '../data/ledger.ts';
import { notReady, ready, wantedServices, type DataObservation, type DataServices, type FinalizeResult } from '../data/types.ts';
import type { Obj } from '../kube/client.ts';
import { CONNECTION_HASH_ANNOTATION } from '../render/names.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, withDatabase, withProvisioner } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { FINALIZER, MANAGED_ROTATION_POLL_MS, Reconciler } from './reconciler.ts';

const NS = 'shop';
const key = `${NS}/${NS}`;
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-XyZ123';
const FIRST = 'first-Value-0f9c2b7e';
const ROTATED = 'rotated-Value-84d1aa03';

let cluster: FakeCluster;
let events: Array<{ reason: string; message: string }>;
/** Secrets Manager as the reader sees it: ARN → current JSON value. */
let secretsManager: Map<string, string>;
let reads: string[];

const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push({ reason, message }), warning: (_o: unknown, reason: string, message: string) => events.push({ reason, message }) } as unknown as EventRecorder;
const reader: MasterSecretReader = async (arn) => {
  reads.push(arn);
  const v = secretsManager.get(arn);
  return v ? { credentials: { user: JSON.parse(v).username, password: JSON.parse(v).password } } : { state: notReady('AwsError', `secret ${arn} not found`) };
};

const stored = () => cluster.find(KIND, NS, NS)!;
const ledgerOf = () => readLedger(stored().metadata.annotations as Record<string, string>).ledger;
const cond = (type: string) => (stored().status?.conditions ?? []).find((c: any) => c.type === type);
const decoded = (s: Obj | undefined, k: string) => Buffer.from(String(s?.data?.[k] ?? ''), 'base64').toString();
const secrets = () => [...cluster.objects.values()].filter((o) => o.kind === 'Secret').map((o) => o.metadata.name).sort();
const podHash = () => (cluster.find('Deployment', NS, 'shop-backend')?.spec as any)?.template?.metadata?.annotations?.[CONNECTION_HASH_ANNOTATION];

function reconciler(ds: (p: BookingPlatform) => DataServices): Reconciler {
  return new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: ds, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }), now: () => new Date('2026-11-24T10:00:00Z') });
}

function ackProvider(masterSecrets?: MasterSecretReader) {
  const ds = dataServicesFor({ ackLookup: (av, k, ns, n) => cluster.get(av, k, ns, n) as { spec?: any; status?: any } | undefined, readSecret: async () => undefined, ackWriter: cluster.ackWriter(), masterSecrets });
  return reconciler(ds);
}

/** What the real rds-controller writes once the instance is available with a managed password. */
function ackMarksAvailable(): Obj {
  const db = [...cluster.objects.values()].find((o) => o.kind === 'DBInstance')!;
  db.status = { dbInstanceStatus: 'available', endpoint: { address: 'db.internal', port: 5432 }, masterUserSecret: { secretARN: ARN, secretStatus: 'active' }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True' }] };
  return db;
}

beforeEach(() => {
  cluster = new FakeCluster();
  events = [];
  secretsManager = new Map([[ARN, JSON.stringify({ username: 'booking', password: FIRST })]]);
  reads = [];
});

describe('ack, credentials mode managed', () => {
  it('renders manageMasterUserPassword, creates no master Secret, builds the connection from RDS’s secret, and a rotation rolls the pods', async () => {
    cluster.put(rawPlatform(NS, withDatabase({ credentials: { mode: 'managed' }, deletionPolicy: 'Retain' })));
    const r = ackProvider(reader);
    await r.reconcile(key);
    const db = [...cluster.objects.values()].find((o) => o.kind === 'DBInstance')!;
    expect(db.spec).toMatchObject({ manageMasterUserPassword: true });
    expect(db.spec).not.toHaveProperty('masterUserPassword');
    // nothing to generate: no master Secret, no PasswordGenerated, nothing read before the ARN is known
    expect(secrets()).toEqual([]);
    expect(reads).toEqual([]);
    expect(events.map((e) => e.reason)).not.toContain('PasswordGenerated');

    // ACK reports the instance available, without the secret's ARN yet: the database waits, saying why
    db.status = { dbInstanceStatus: 'available', endpoint: { address: 'db.internal', port: 5432 }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True' }] };
    await r.reconcile(key);
    expect(cond('DatabaseReady')).toMatchObject({ status: 'False', reason: 'MasterSecretPending', message: expect.stringContaining('master user secret') });
    expect(cluster.find('Secret', NS, 'shop-connection')).toBeUndefined();

    ackMarksAvailable();
    await r.reconcile(key);
    expect(reads).toEqual([ARN]);
    expect(cond('DatabaseReady')).toMatchObject({ status: 'True' });
    const conn = cluster.find('Secret', NS, 'shop-connection');
    expect(decoded(conn, 'DB_PASSWORD')).toBe(FIRST);
    expect(decoded(conn, 'DB_USER')).toBe('booking');
    expect(decoded(conn, 'DATABASE_URL')).toBe(`postgresql://booking:${FIRST}@db.internal:5432/booking`);
    expect(secrets()).toEqual(['shop-connection']);
    expect(ledgerOf().services.database).toMatchObject({ observed: true, spec: { credentials: { mode: 'managed' } } });
    expect(ledgerOf().services.database).not.toHaveProperty('secret');
    const before = podHash();
    expect(before).toBeTruthy();

    // RDS rotates the password: the next observe carries it into the connection Secret and the pod templates
    secretsManager.set(ARN, JSON.stringify({ username: 'booking', password: ROTATED }));
    await r.reconcile(key);
    expect(decoded(cluster.find('Secret', NS, 'shop-connection'), 'DB_PASSWORD')).toBe(ROTATED);
    expect(podHash()).not.toBe(before);
    // still no master Secret, nothing regenerated
    expect(secrets()).toEqual(['shop-connection']);
    expect(events.map((e) => e.reason)).not.toEqual(expect.arrayContaining(['PasswordGenerated', 'PasswordRegenerated', 'PasswordRotated']));
    // no value in status or Events
    const visible = JSON.stringify([stored().status, stored().metadata.annotations, events]);
    for (const v of [FIRST, ROTATED]) expect(visible).not.toContain(v);

    // deletion with Retain: the database (and RDS's secret with it) stays; released names no Kubernetes Secret
    stored().metadata.deletionTimestamp = '2026-11-24T10:00:00Z' as never;
    for (let i = 0; i < 4 && cluster.find(KIND, NS, NS); i++) await r.reconcile(key);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
    expect(events.map((e) => e.reason)).toContain('DataServiceRetained');
    expect(events.map((e) => e.reason)).not.toContain('CredentialKept');
  });

  it('without AWS access the database says so (terminal), and nothing crashes', async () => {
    cluster.put(rawPlatform(NS, withDatabase({ credentials: { mode: 'managed' } })));
    const r = ackProvider(undefined);
    await r.reconcile(key);
    ackMarksAvailable();
    const outcome = await r.reconcile(key);
    expect(outcome).toBeDefined();
    expect(cond('DatabaseReady')).toMatchObject({ status: 'False', reason: 'NoAwsAccess', message: expect.stringContaining('AWS_REGION') });
    expect(cond('Stalled')).toMatchObject({ status: 'True' });
    expect(secrets()).toEqual([]);
  });

  it('a failed read keeps the connection Secret the pods run with (a lapse is no reason to drop it)', async () => {
    cluster.put(rawPlatform(NS, withDatabase({ credentials: { mode: 'managed' } })));
    const r = ackProvider(reader);
    await r.reconcile(key);
    ackMarksAvailable();
    await r.reconcile(key);
    const hash = podHash();
    secretsManager.delete(ARN);
    await r.reconcile(key);
    expect(cond('DatabaseReady')).toMatchObject({ status: 'False', reason: 'AwsError' });
    expect(decoded(cluster.find('Secret', NS, 'shop-connection'), 'DB_PASSWORD')).toBe(FIRST);
    expect(podHash()).toBe(hash);
  });
});

/** An sdk-like provider in mode managed: the password comes from "RDS's secret", never from the reconciler. */
class ManagedSdk implements DataServices {
  passwords: Array<string | undefined> = [];
  rotations = 0;
  current = FIRST;
  async observe(p: BookingPlatform, password: string | undefined): Promise<DataObservation> {
    this.passwords.push(password);
    const o: DataObservation = {};
    for (const s of wantedServices(p)) o[s] = s === 'database' ? { ...ready(), connection: { engine: 'postgres', host: 'db.internal', port: 5432, name: 'booking', user: 'booking', password: this.current } } : ready();
    return o;
  }
  async remove(): Promise<FinalizeResult> {
    return { done: true, message: 'retained', left: 'DBInstance db' };
  }
  async rotatePassword(): Promise<FinalizeResult> {
    this.rotations++;
    return { done: true, message: 'rotated' };
  }
}

describe('sdk, credentials mode managed', () => {
  it('never generates, regenerates or sets a password, and keeps no Kubernetes credential at deletion', async () => {
    cluster.put(rawPlatform(NS, withProvisioner('sdk'), withDatabase({ credentials: { mode: 'managed' }, deletionPolicy: 'Retain' })));
    const sdk = new ManagedSdk();
    const r = reconciler(() => sdk);
    await r.reconcile(key);
    await r.reconcile(key);
    expect(sdk.passwords).toEqual([undefined, undefined]);
    expect(secrets()).toEqual(['shop-connection']);
    expect(ledgerOf().services.database?.observed).toBe(true);
    // a Secret named like the generated master Secret appearing and vanishing means nothing here
    cluster.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-db-master', namespace: NS }, data: {} });
    cluster.objects.delete(`Secret/${NS}/shop-db-master`);
    await r.reconcile(key);
    expect(sdk.rotations).toBe(0);
    expect(ledgerOf().services.database).not.toHaveProperty('rotate');
    expect(events.map((e) => e.reason)).not.toEqual(expect.arrayContaining(['PasswordGenerated', 'PasswordRegenerated', 'PasswordRotated']));

    stored().metadata.deletionTimestamp = '2026-11-24T10:00:00Z' as never;
    expect(stored().metadata.finalizers).toContain(FINALIZER);
    await r.reconcile(key);
    expect(cluster.find(KIND, NS, NS)).toBeUndefined();
    expect(events.find((e) => e.reason === 'DataServiceRetained')?.message).not.toContain('Secret');
  });

  it('looks for a rotation within a minute once settled (RDS turns the old password off at once); generated credentials wait for events', async () => {
    cluster.put(rawPlatform(NS, withProvisioner('sdk'), withDatabase({ credentials: { mode: 'managed' } })));
    const sdk = new ManagedSdk();
    const r = reconciler(() => sdk);
    let outcome = await r.reconcile(key);
    for (let i = 0; i < 3; i++) outcome = await r.reconcile(key);
    expect(cond('Ready')).toMatchObject({ status: 'True' });
    expect(outcome).toMatchObject({ type: 'requeue', afterMs: MANAGED_ROTATION_POLL_MS });
    expect(MANAGED_ROTATION_POLL_MS).toBeLessThanOrEqual(60_000);

    cluster.objects.clear();
    cluster.put(rawPlatform(NS, withProvisioner('sdk'), withDatabase()));
    for (let i = 0; i < 4; i++) outcome = await r.reconcile(key);
    expect(cond('Ready')).toMatchObject({ status: 'True' });
    expect(outcome).toEqual({ type: 'done' });
  });
});

