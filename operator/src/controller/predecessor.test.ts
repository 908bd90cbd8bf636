/**
 * A workload that changes kind (the WhatsApp gateway: Deployment → StatefulSet) never runs beside
 * the one it replaces: the pure lookup, and the reconciler's ordering over an in-memory apiserver
 * (the rig proves the real garbage collector's part: operator/test/integration/whatsapp-singleton).
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../api/schema.ts';
import { notReady, type DataObservation, type DataServices } from '../data/types.ts';
import type { Obj } from '../kube/client.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, withProvisioner, withWhatsapp } from '../../test/fixtures/platform.ts';
import type { KubeObject } from '../render/index.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { predecessors } from './predecessor.ts';
import { Reconciler } from './reconciler.ts';

const NS = 'shop';
const GATEWAY = 'shop-whatsapp';
const obj = (kind: string, name: string, ns = NS) => ({ apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns } });

describe('predecessors', () => {
  it('finds an owned Deployment that a desired StatefulSet of the same name replaces (and the reverse)', () => {
    const desired = [obj('StatefulSet', 'a'), obj('Deployment', 'b'), obj('Service', 'c')] as KubeObject[];
    const owned = [obj('Deployment', 'a'), obj('StatefulSet', 'b'), obj('Deployment', 'c'), obj('Deployment', 'a', 'other')] as Obj[];
    expect(predecessors(desired, owned).map((r) => [r.old.kind, r.old.metadata.name, r.successor])).toEqual([
      ['Deployment', 'a', 'StatefulSet/shop/a'],
      ['StatefulSet', 'b', 'Deployment/shop/b'],
    ]);
  });

  it('ignores objects of the same kind, other names and kinds that run no pods', () => {
    const desired = [obj('StatefulSet', 'a'), obj('Service', 'b')] as KubeObject[];
    expect(predecessors(desired, [obj('StatefulSet', 'a'), obj('Deployment', 'x'), obj('Secret', 'b'), obj('Deployment', 'b')] as Obj[])).toEqual([]);
  });
});

describe('the reconciler replaces the gateway Deployment of earlier builds', () => {
  const events: Array<{ reason: string; message: string }> = [];
  const recorder = { normal: (_o: unknown, reason: string, message: string) => events.push({ reason, message }), warning: (_o: unknown, reason: string, message: string) => events.push({ reason, message }) } as unknown as EventRecorder;
  let cluster: FakeCluster;
  let observation: DataObservation;
  const data: DataServices = { observe: async () => observation, remove: async () => ({ done: true, message: 'done' }) };
  const reconcile = () => new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: () => data, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }) }).reconcile(`${NS}/${NS}`);
  const platform = () => cluster.find(KIND, NS, NS)!;
  const cond = (type: string) => (platform().status?.conditions ?? []).find((c: any) => c.type === type);

  /** The platform and the Deployment an earlier build applied for its gateway. */
  function earlierBuild(...mods: Parameters<typeof rawPlatform>[1][]): Obj {
    const p = cluster.put(rawPlatform(NS, ...mods));
    return cluster.put({
      ...obj('Deployment', GATEWAY),
      metadata: { name: GATEWAY, namespace: NS, labels: { 'app.kubernetes.io/name': 'whatsapp', 'app.kubernetes.io/managed-by': 'booking-operator' }, ownerReferences: [{ apiVersion: 'platform.booking.io/v1alpha1', kind: KIND, name: NS, uid: p.metadata.uid!, controller: true }] },
      spec: { replicas: 1, strategy: { type: 'Recreate' } },
    });
  }

  beforeEach(() => {
    cluster = new FakeCluster();
    observation = {};
    events.length = 0;
  });

  it('deletes the Deployment in the foreground, once, and creates the StatefulSet only when the Deployment is gone', async () => {
    earlierBuild(withProvisioner('external'), withWhatsapp({ authStorage: { storageClassName: 'standard' } }));
    await reconcile();
    expect(cluster.writesOf('delete', 'Deployment')).toEqual([{ verb: 'delete', kind: 'Deployment', name: GATEWAY, body: { propagation: 'Foreground' } }]);
    expect(cluster.find('Deployment', NS, GATEWAY)?.metadata.deletionTimestamp).toBeDefined(); // kept until its pods are gone
    expect(cluster.writesOf('apply', 'StatefulSet')).toEqual([]);
    expect(cond('WorkloadsReady')).toMatchObject({ status: 'False', reason: 'RollingOut', message: `${GATEWAY}: replaces Deployment ${GATEWAY}: created once that and its pods are gone (never two at once)` });
    expect(events.map((e) => e.reason)).toContain('Replacing');
    expect(events.map((e) => e.reason)).not.toContain('Pruned');

    // the garbage collector is still deleting the pods: nothing more is sent
    await reconcile();
    expect(cluster.writesOf('delete', 'Deployment')).toHaveLength(1);
    expect(cluster.writesOf('apply', 'StatefulSet')).toEqual([]);

    // the last pod is gone, and with it the Deployment
    cluster.objects.delete(`Deployment/${NS}/${GATEWAY}`);
    await reconcile();
    expect(cluster.writesOf('apply', 'StatefulSet').map((w) => w.name)).toEqual([GATEWAY]);
    expect(cond('WorkloadsReady')?.status).toBe('True');
  });

  it('leaves the Deployment running while the StatefulSet would be held back anyway (its file system not usable)', async () => {
    earlierBuild(withProvisioner('sdk'), withWhatsapp());
    observation = { fileSystem: notReady('Creating', 'FileSystem fs-1 is creating') };
    await reconcile();
    expect(cluster.writesOf('delete')).toEqual([]);
    expect(cluster.find('Deployment', NS, GATEWAY)?.metadata.deletionTimestamp).toBeUndefined();
    expect(cluster.writesOf('apply', 'StatefulSet')).toEqual([]);
  });

  it('deletes nothing in a pass whose applies did not all succeed', async () => {
    earlierBuild(withProvisioner('external'), withWhatsapp({ authStorage: { storageClassName: 'standard' } }));
    cluster.failNext = { verb: 'apply', kind: 'Service', code: 500, message: 'etcd timeout' };
    await reconcile();
    expect(cluster.writesOf('delete')).toEqual([]);
    await reconcile();
    expect(cluster.writesOf('delete', 'Deployment')).toHaveLength(1);
  });
});
