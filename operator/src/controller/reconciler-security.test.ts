/**
 * The reconciler's contract with the security parts (security/types.ts), over the in-memory
 * apiserver: a part's objects are applied before the workloads that read them, its facts reach
 * the renderers, its state is a condition that holds Ready, it gets the finalizer it needs, and
 * the platform is not let go until its removal is done.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../api/schema.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, type DataServices, type FinalizeResult } from '../data/types.ts';
import type { PartObservation, SecurityPart } from '../security/types.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, withProvisioner } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { FINALIZER, Reconciler } from './reconciler.ts';

const NS = 'sec';
const key = `${NS}/${NS}`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/booking/backend';

/** A part that hands the renderers a role and adds one Secret; its readiness and removal are set by the test. */
class FakePart implements SecurityPart {
  readonly name = 'iam' as const;
  state = ready('roles in place');
  removals = 0;
  removeAfter = 2;
  /** `throws`: observe fails; `unsure`: a not-ready state without facts or objects (a part that cannot tell what it wants). */
  trouble?: 'throws' | 'unsure';
  wanted = (): boolean => true;
  needsCleanup = (): boolean => true;
  async observe(p: BookingPlatform): Promise<PartObservation> {
    if (this.trouble === 'throws') throw new Error('GetRole: connection reset by the peer');
    if (this.trouble === 'unsure') return { state: notReady('Pending', 'cannot tell the roles this pass') };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${p.metadata.name}-part`, namespace: p.metadata.namespace!, labels: {} }, stringData: { K: 'v' } };
    return { state: this.state, facts: { roleArns: { backend: ROLE_ARN } }, objects: [secret] };
  }
  async remove(): Promise<FinalizeResult> {
    this.removals++;
    return this.removals >= this.removeAfter ? { done: true, message: 'roles deleted' } : { done: false, message: 'deleting roles' };
  }
}

const noData: DataServices = { observe: async () => ({}), remove: async () => ({ done: true, message: '' }) };
const recorder = { normal: () => undefined, warning: () => undefined } as unknown as EventRecorder;

let cluster: FakeCluster;
let part: FakePart;
const reconciler = () => new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: () => noData, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }), security: [part] });
const stored = () => cluster.find(KIND, NS, NS)!;
const cond = (type: string) => (stored().status?.conditions ?? []).find((c: any) => c.type === type);

beforeEach(() => {
  cluster = new FakeCluster();
  part = new FakePart();
  cluster.put(rawPlatform(NS, withProvisioner('external')));
});

describe('security parts in the reconcile', () => {
  it('applies a part\'s objects before the workloads and hands its facts to the renderers', async () => {
    await reconciler().reconcile(key);
    const applies = cluster.writesOf('apply').map((w) => `${w.kind}/${w.name}`);
    expect(applies).toContain(`Secret/${NS}-part`);
    expect(applies.indexOf(`Secret/${NS}-part`)).toBeLessThan(applies.indexOf(`Deployment/${NS}-backend`));
    const sa = cluster.find('ServiceAccount', NS, `${NS}-backend`)!;
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(ROLE_ARN);
    expect(stored().metadata.finalizers).toContain(FINALIZER);
  });

  it('shows the part\'s state as a condition and a component, and holds Ready while it is not usable', async () => {
    part.state = notReady('RolePending', 'role backend is being created');
    await reconciler().reconcile(key);
    expect(cond('IdentityReady')).toMatchObject({ status: 'False', reason: 'RolePending' });
    expect(cond('Ready')).toMatchObject({ status: 'False', message: expect.stringContaining('role backend is being created') });
    expect((stored().status?.components as any[]).find((c) => c.name === 'iam')).toMatchObject({ ready: false });
  });

  describe('a part that cannot tell what it wants changes nothing that runs (a fresh operator included)', () => {
    for (const trouble of ['throws', 'unsure'] as const) {
      it(`${trouble}: its objects stay, no template or ServiceAccount changes, the state says why`, async () => {
        await reconciler().reconcile(key);
        const rv = (kind: string, name: string) => cluster.find(kind, NS, name)?.metadata.resourceVersion;
        const before = { deployment: rv('Deployment', `${NS}-backend`), sa: rv('ServiceAccount', `${NS}-backend`) };
        expect(before.deployment).toBeDefined();
        cluster.writes.length = 0;
        part.trouble = trouble;
        // a new Reconciler: nothing remembered from the good pass (an operator restart)
        await reconciler().reconcile(key);
        expect(cluster.writesOf('delete')).toEqual([]);
        expect(cluster.find('Secret', NS, `${NS}-part`)).toBeDefined();
        expect(rv('Deployment', `${NS}-backend`)).toBe(before.deployment);
        expect(rv('ServiceAccount', `${NS}-backend`)).toBe(before.sa);
        expect(cluster.find('ServiceAccount', NS, `${NS}-backend`)!.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(ROLE_ARN);
        expect(cond('IdentityReady')).toMatchObject({ status: 'False', reason: trouble === 'throws' ? 'Error' : 'Pending' });
        // back to normal: the held objects are up to date, nothing to write but status
        part.trouble = undefined;
        cluster.writes.length = 0;
        await reconciler().reconcile(key);
        expect(cluster.writes.filter((w) => w.verb !== 'applyStatus')).toEqual([]);
        expect(cond('IdentityReady')).toMatchObject({ status: 'True' });
      });
    }

    it('a change of the spec meanwhile waits too: the workloads it feeds are held back, and status says for what', async () => {
      await reconciler().reconcile(key);
      const before = cluster.find('Deployment', NS, `${NS}-backend`)!.metadata.resourceVersion;
      part.trouble = 'throws';
      const raw = stored();
      (raw.spec as any).backend.image = 'registry.example/backend:9.9.9';
      raw.metadata.generation = (raw.metadata.generation ?? 1) + 1;
      await reconciler().reconcile(key);
      expect(cluster.find('Deployment', NS, `${NS}-backend`)!.metadata.resourceVersion).toBe(before);
      expect(cond('WorkloadsReady')).toMatchObject({ status: 'False', reason: 'WaitingForSecurity', message: expect.stringContaining('iam (GetRole: connection reset') });
    });
  });

  it('keeps the platform (Deleting) until the part\'s removal is done', async () => {
    const r = reconciler();
    await r.reconcile(key);
    stored().metadata.deletionTimestamp = '2026-11-24T10:00:00Z' as never;
    await r.reconcile(key);
    expect(part.removals).toBe(1);
    expect(stored().metadata.finalizers).toContain(FINALIZER);
    expect(cond('Ready')).toMatchObject({ status: 'False', reason: 'Deleting', message: expect.stringContaining('deleting roles') });
    await r.reconcile(key);
    expect(part.removals).toBe(2);
    expect(stored()?.metadata.finalizers ?? []).not.toContain(FINALIZER);
  });
});
