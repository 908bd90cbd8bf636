/**
 * The reconciler renders a platform again only when its input changed (render-memo.ts): passes
 * that follow children's status reuse the last render, a spec change reaches the cluster, and the
 * memo forgets a platform that is gone.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../api/schema.ts';
import { ready, wantedServices, type DataObservation, type DataServices } from '../data/types.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, set, withMcp, withProvisioner } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';

const usable: DataServices = {
  async observe(p): Promise<DataObservation> {
    return Object.fromEntries(wantedServices(p).map((s) => [s, ready()]));
  },
  remove: async () => ({ done: true, message: 'done' }),
  rotatePassword: async () => ({ done: true, message: 'rotated' }),
};
const recorder = { normal: () => undefined, warning: () => undefined } as unknown as EventRecorder;
const NS = 'shop';
const KEY = `${NS}/${NS}`;
let cluster: FakeCluster;
let r: Reconciler;

beforeEach(() => {
  cluster = new FakeCluster();
  r = new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: () => usable, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }) });
  cluster.put(rawPlatform(NS, withProvisioner('external'), set('aws', undefined), withMcp({ name: 'calendar', image: 'registry.example/mcp:1', port: 7001 })));
});

const image = (name: string) => (cluster.find('Deployment', NS, name)?.spec as any)?.template?.spec?.containers?.[0]?.image;

describe('the reconciler and its render memo', () => {
  it('reuses the render while the platform and its facts are unchanged, and writes nothing then', async () => {
    await r.reconcile(KEY);
    const writes = cluster.writes.length;
    // a child's status moved: the platform is reconciled again, its input is the same
    const d = cluster.find('Deployment', NS, `${NS}-backend`)!;
    d.status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    await r.reconcile(KEY);
    await r.reconcile(KEY);
    expect(r.renders.counts).toEqual({ rendered: 1, reused: 2 });
    expect(cluster.writes.slice(writes).filter((w) => w.kind !== KIND)).toEqual([]);
  });

  it('renders anew when the spec changes, and applies the change', async () => {
    await r.reconcile(KEY);
    expect(image(`${NS}-mcp-calendar`)).toBe('registry.example/mcp:1');
    const p = cluster.find(KIND, NS, NS)!;
    (p.spec as any).mcpServers[0].image = 'registry.example/mcp:2';
    p.metadata.generation = 2;
    await r.reconcile(KEY);
    expect(r.renders.counts.rendered).toBe(2);
    expect(image(`${NS}-mcp-calendar`)).toBe('registry.example/mcp:2');
  });

  it('forgets a platform that is gone', async () => {
    await r.reconcile(KEY);
    expect(r.renders.size).toBe(1);
    cluster.objects.delete(`${KIND}/${NS}/${NS}`);
    expect(cluster.platform(NS, NS)).toBeUndefined();
    await r.reconcile(KEY);
    expect(r.renders.size).toBe(0);
  });
});
