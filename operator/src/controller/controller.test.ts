import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeLeases } from '../../test/fixtures/leases.ts';
import type { KubeClient } from '../kube/client.ts';
import { Controller } from './controller.ts';
import { LeaderElector } from './leader.ts';
import { Metrics } from './metrics.ts';
import { done } from './outcome.ts';
import type { Reconciler } from './reconciler.ts';

const log = pino({ level: 'silent' });

describe('Controller workers', () => {
  it('start no further reconcile once the lease is lost, with keys still queued', async () => {
    const leases = new FakeLeases();
    const elector = new LeaderElector(leases.client, log, { namespace: 'default', name: 'l', identity: 'a', leaseDurationMs: 1_500, renewDeadlineMs: 400, retryPeriodMs: 50 });
    expect(await elector.acquire()).toBe(true);

    const controller = new Controller({} as KubeClient, log, new Metrics({ defaults: false }), { namespaces: [], concurrency: 1, resyncMs: 600_000 });
    const reconciled: string[] = [];
    let finishFirst!: () => void;
    const firstBlocks = new Promise<void>((r) => (finishFirst = r));
    const reconciler = {
      async reconcile(key: string) {
        reconciled.push(key);
        if (key === 'ns/a') await firstBlocks;
        return done();
      },
    } as unknown as Reconciler;
    controller.startWorkers(reconciler, () => elector.isLeader());
    for (const name of ['a', 'b', 'c']) controller.enqueue('ns', name);

    // 'a' is in flight, 'b' and 'c' wait; the apiserver stops answering renewals
    leases.renewals = 'fail';
    await elector.hold();
    expect(elector.isLeader()).toBe(false);
    finishFirst();
    // let the worker take its next key (it would reconcile 'b' and 'c' here) before shutting down
    for (let i = 0; i < 100 && (controller.queue.length > 0 || controller.queue.inFlight().size > 0); i++) await new Promise((r) => setTimeout(r, 20));
    await controller.stop(5_000);
    expect(reconciled).toEqual(['ns/a']);
  }, 10_000);
});
