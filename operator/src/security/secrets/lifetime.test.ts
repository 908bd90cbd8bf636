/**
 * The generated Secret across a platform's lifetime, through the reconciler over the in-memory
 * apiserver (the test plays the garbage collector): when deletion leaves the database's data
 * behind (Retain, Snapshot, skip-cleanup) the Secret is let go of and a platform re-created under
 * the same name takes it back with the same values; with Delete it goes with the platform.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../../api/schema.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { EventRecorder } from '../../controller/events.ts';
import { Metrics } from '../../controller/metrics.ts';
import { Reconciler, SKIP_CLEANUP_ANNOTATION } from '../../controller/reconciler.ts';
import { leftBehind, policyFor } from '../../data/removal.ts';
import { ready, type DataServices } from '../../data/types.ts';
import type { Obj } from '../../kube/client.ts';
import { DEFAULT_CONTEXT } from '../../render/names.ts';
import { FakeCluster, writerOf } from '../../../test/fixtures/fake-cluster.ts';
import { rawPlatform, set, withDatabase, withProvisioner } from '../../../test/fixtures/platform.ts';
import { secretsPart } from './index.ts';

const NS = 'shop';
const key = `${NS}/${NS}`;
const SECRET = 'shop-generated-secrets';

/** sdk-like: the database usable at once, removed at once, leaving behind what its policy says. */
const data: DataServices = {
  observe: async (p, password) => (p.spec.database && password ? { database: { ...ready(), connection: { engine: 'postgres', host: 'db.internal', port: 5432, name: 'booking', user: 'booking', password } } } : {}),
  remove: async (p: BookingPlatform, service, opts) => {
    const left = leftBehind(p, DEFAULT_CONTEXT, service, policyFor(p, service), opts.finalSnapshot);
    return { done: true, message: `${service} done`, ...(left ? { left } : {}) };
  },
};

const events: Array<{ reason: string; message: string }> = [];
const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push({ reason, message }), warning: (_o: unknown, reason: string, message: string) => events.push({ reason, message }) } as unknown as EventRecorder;

let cluster: FakeCluster;
const reconciler = () => new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: () => data, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }), security: [secretsPart({})] });
const decode = (o: Obj | undefined) => Object.fromEntries(Object.entries((o?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const create = (policy: string, annotations: Record<string, string> = {}) => {
  const raw = rawPlatform(NS, withProvisioner('sdk'), withDatabase({ deletionPolicy: policy }), set('secrets', { entries: [{ name: 'SESSION_SECRET', generate: {} }, { name: 'JWT_SECRET', generate: { length: 32 } }] }));
  return cluster.put({ ...raw, metadata: { ...raw.metadata, annotations } });
};

/** Deletes the platform as kubectl does, lets the reconciler finish, then plays the garbage collector. */
async function deletePlatform(): Promise<void> {
  const uid = cluster.find(KIND, NS, NS)!.metadata.uid;
  cluster.find(KIND, NS, NS)!.metadata.deletionTimestamp = '2026-11-24T10:00:00Z' as never;
  for (let i = 0; i < 5 && cluster.find(KIND, NS, NS); i++) await reconciler().reconcile(key);
  expect(cluster.find(KIND, NS, NS)).toBeUndefined();
  for (const [k, o] of cluster.objects) if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) cluster.objects.delete(k);
}

beforeEach(() => {
  cluster = new FakeCluster();
  events.length = 0;
});

describe('generated application secrets outlive a platform whose data stays', () => {
  it.each([
    { policy: 'Retain', annotations: {} as Record<string, string>, how: 'deletionPolicy Retain' },
    { policy: 'Snapshot', annotations: {}, how: 'deletionPolicy Snapshot' },
    { policy: 'Delete', annotations: { [SKIP_CLEANUP_ANNOTATION]: 'true' }, how: 'skip-cleanup (deletionPolicy Delete)' },
  ])('$how: let go of on deletion, taken back with the same values on re-creation', async ({ policy, annotations }) => {
    create(policy, annotations);
    await reconciler().reconcile(key);
    const values = decode(cluster.find('Secret', NS, SECRET));
    expect(Object.keys(values).sort()).toEqual(['JWT_SECRET', 'SESSION_SECRET']);

    await deletePlatform();
    const kept = cluster.find('Secret', NS, SECRET);
    expect(kept?.metadata.ownerReferences ?? []).toEqual([]);
    expect(kept?.metadata.annotations?.['platform.booking.io/credential-for']).toBe('application secrets of BookingPlatform shop');
    expect(decode(kept)).toEqual(values);
    expect(events).toContainEqual({ reason: 'CredentialKept', message: expect.stringContaining(`Secret ${SECRET}`) });

    events.length = 0;
    const writes = cluster.writes.length;
    const again = create(policy);
    await reconciler().reconcile(key);
    const adopted = cluster.find('Secret', NS, SECRET)!;
    expect(decode(adopted)).toEqual(values);
    expect(adopted.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: again.metadata.uid, controller: false })]);
    expect(adopted.metadata.annotations?.['platform.booking.io/credential-for']).toBeUndefined();
    expect(events.map((e) => e.reason)).not.toContain('SecretsRegenerated');
    expect(cluster.writes.slice(writes).filter((w) => w.verb === 'create' && w.kind === 'Secret').map((w) => w.name)).not.toContain(SECRET);
    expect((cluster.find(KIND, NS, NS)!.status?.conditions ?? []).find((c: { type: string }) => c.type === 'SecretsReady')).toMatchObject({ status: 'True' });
    // no value in any Event
    for (const v of Object.values(values)) expect(JSON.stringify(events)).not.toContain(v);
  });

  it('Delete: the Secret goes with the platform and the database', async () => {
    create('Delete');
    await reconciler().reconcile(key);
    await deletePlatform();
    expect(cluster.find('Secret', NS, SECRET)).toBeUndefined();
    expect(events.map((e) => e.reason)).not.toContain('CredentialKept');
  });
});
