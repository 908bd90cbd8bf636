/**
 * Owned objects' changes that cannot change a reconcile queue nothing; every other change still
 * queues the platform (drift, a workload's rollout moving, the status of kinds that are read).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../api/schema.ts';
import type { KubeClient, Obj, WatchEvent } from '../kube/client.ts';
import { Controller } from './controller.ts';
import { Metrics } from './metrics.ts';
import { ownedChangeMatters } from './owned-events.ts';

const owner = { apiVersion: API_VERSION, kind: KIND, name: 'shop', uid: 'u-1', controller: true };
const meta = (name: string, rv: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'shop', resourceVersion: rv, uid: `uid-${name}`, generation: 1, labels: { 'app.kubernetes.io/managed-by': 'booking-operator' }, ownerReferences: [owner], ...extra });

const hpa = (rv: string, status: Record<string, unknown>, labels?: Record<string, string>): Obj => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { ...meta('shop-backend', rv), ...(labels ? { labels } : {}) },
  spec: { minReplicas: 1, maxReplicas: 2, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop-backend' } },
  status,
});
const deployment = (rv: string, status: Record<string, unknown>, replicas = 1): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('shop-backend', rv),
  spec: { replicas, selector: { matchLabels: { app: 'b' } }, template: { spec: { containers: [{ name: 'b', image: 'b:1' }] } } },
  status,
});
const job = (rv: string, status: Record<string, unknown>): Obj => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta('shop-migrate-1', rv), spec: { template: {} }, status });

const rolling = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1, conditions: [{ type: 'Available', status: 'False', lastUpdateTime: '2026-11-24T08:00:00Z' }] };
const available = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2026-11-24T08:00:05Z' }] };
const availableLater = { ...available, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2026-11-24T08:03:00Z' }] };

describe('ownedChangeMatters', () => {
  it('skips a status-only change of a kind whose status nothing reads', () => {
    expect(ownedChangeMatters(hpa('1', {}), hpa('2', { currentReplicas: 1, desiredReplicas: 1 }))).toBe(false);
  });

  it('keeps any change besides the status: drift of labels or spec, a new owner', () => {
    expect(ownedChangeMatters(hpa('1', {}), hpa('2', {}, { team: 'x' }))).toBe(true);
    expect(ownedChangeMatters(deployment('1', available), deployment('2', available, 3))).toBe(true);
    const orphaned = { ...hpa('2', {}), metadata: { ...hpa('2', {}).metadata, ownerReferences: [] } };
    expect(ownedChangeMatters(hpa('1', {}), orphaned)).toBe(true);
    const otherImage = deployment('2', available);
    otherImage.spec.template.spec.containers[0].image = 'b:2';
    expect(ownedChangeMatters(deployment('1', available), otherImage)).toBe(true);
    const annotated = { ...hpa('2', {}), metadata: { ...hpa('2', {}).metadata, annotations: { 'platform.booking.io/applied-hash': 'x' } } };
    expect(ownedChangeMatters(annotated, hpa('3', {}))).toBe(true);
    expect(ownedChangeMatters(hpa('3', {}), annotated)).toBe(true);
  });

  it('for a workload, keeps a status change that moves its rollout and skips one that does not', () => {
    expect(ownedChangeMatters(deployment('1', {}), deployment('2', rolling))).toBe(true);
    expect(ownedChangeMatters(deployment('2', rolling), deployment('3', available))).toBe(true);
    expect(ownedChangeMatters(deployment('3', available), deployment('4', availableLater))).toBe(false);
  });

  it('keeps status changes of kinds whose status is read (Jobs: the migrations gate)', () => {
    expect(ownedChangeMatters(job('1', {}), job('2', { succeeded: 1 }))).toBe(true);
  });
});

/** List and watch of every kind from memory; `send` delivers a watch event. */
class FakeWatches {
  private readonly handlers = new Map<string, (e: WatchEvent) => void>();
  private readonly items: Obj[];
  constructor(items: Obj[]) {
    this.items = items;
  }
  readonly client = {
    serves: async () => false,
    list: async (_apiVersion: string, kind: string) => ({ items: this.items.filter((o) => o.kind === kind), resourceVersion: '1' }),
    collectionPath: async (_apiVersion: string, kind: string) => kind,
    // open until aborted (stop())
    watch: async (path: string, _params: unknown, onEvent: (e: WatchEvent) => void, opts: { signal?: AbortSignal } = {}) => {
      this.handlers.set(path, onEvent);
      await new Promise((resolve) => (opts.signal?.aborted ? resolve(undefined) : opts.signal?.addEventListener('abort', resolve)));
    },
  } as unknown as KubeClient;

  async watching(kinds: string[]): Promise<void> {
    for (let i = 0; i < 200 && !kinds.every((k) => this.handlers.has(k)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(kinds.filter((k) => !this.handlers.has(k))).toEqual([]);
  }

  send(o: Obj): void {
    this.handlers.get(o.kind!)!({ type: 'MODIFIED', object: o });
  }
}

describe('Controller, owned objects', () => {
  let controller: Controller | undefined;
  afterEach(async () => controller?.stop(1_000));

  it('queues the platform for changes that matter and not for an HPA status or a Deployment condition refresh', async () => {
    const watches = new FakeWatches([hpa('1', {}), deployment('1', available), job('1', {})]);
    controller = new Controller(watches.client, pino({ level: 'silent' }), new Metrics({ defaults: false }), { namespaces: [], concurrency: 1, resyncMs: 600_000 });
    await controller.startInformers();
    await controller.waitForSync(10_000);
    await watches.watching(['HorizontalPodAutoscaler', 'Deployment', 'Job']);
    const queued = async () => {
      const keys: string[] = [];
      while (controller!.queue.length) {
        const k = (await controller!.queue.get())!;
        keys.push(k);
        controller!.queue.done(k);
      }
      return keys;
    };
    expect(await queued()).toEqual(['shop/shop']); // the first list

    watches.send(hpa('2', { currentReplicas: 1, desiredReplicas: 1 }));
    watches.send(deployment('2', availableLater));
    expect(await queued()).toEqual([]);

    watches.send(deployment('3', rolling));
    expect(await queued()).toEqual(['shop/shop']);
    watches.send(hpa('3', { currentReplicas: 1 }, { team: 'x' }));
    expect(await queued()).toEqual(['shop/shop']);
    watches.send(job('2', { succeeded: 1 }));
    expect(await queued()).toEqual(['shop/shop']);
  });
});
