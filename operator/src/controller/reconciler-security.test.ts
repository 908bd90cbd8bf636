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
  wanted = (): boolean => true;
  needsCleanup = (): boolean => true;
  async observe(p: BookingPlatform): Promise<PartObservation> {
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
