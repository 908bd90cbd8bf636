import { describe, expect, it } from 'vitest';
import { contains, firstDifference, prepare, replicasHandover, verdict } from './apply.ts';

const desired = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'ns', labels: { x: '1' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i:1', env: [] }] } } } };
const owner = { apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'u-1' };

describe('apply verdicts', () => {
  const prepared = prepare(desired, owner);
  // what the apiserver returns: our fields plus defaults, empty arrays omitted
  const live = structuredClone(prepared) as any;
  live.metadata.resourceVersion = '7';
  live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
  delete live.spec.template.spec.containers[0].env;

  it('owns namespaced objects by controller reference and stamps the desired hash', () => {
    expect(prepared.metadata.ownerReferences).toEqual([{ ...owner, controller: true, blockOwnerDeletion: true }]);
    expect(prepared.metadata.annotations!['platform.booking.io/applied-hash']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('skips what is already there, ignoring server defaults and omitted empties', () => {
    expect(verdict(prepared, live)).toBe('up-to-date');
  });

  it('creates what is missing and updates what we changed', () => {
    expect(verdict(prepared, undefined)).toBe('create');
    const changed = prepare({ ...desired, spec: { ...desired.spec, replicas: 3 } }, owner);
    expect(verdict(changed, live)).toBe('update');
  });

  it('calls a field changed by someone else drift', () => {
    const edited = structuredClone(live);
    edited.spec.template.spec.containers[0].image = 'i:hacked';
    expect(verdict(prepared, edited)).toBe('drift');
    const relabelled = structuredClone(live);
    relabelled.metadata.labels = {};
    expect(verdict(prepared, relabelled)).toBe('drift');
  });

  it('treats extra live fields as someone else’s business', () => {
    expect(contains({ a: 1, b: 2 }, { a: 1 })).toBe(true);
    expect(contains({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(contains(undefined, '')).toBe(true);
  });
});

describe('quantities', () => {
  // what a user may write, and what the apiserver stores for it
  const container = (resources: object, value: string) => ({ name: 'c', image: 'i:1', env: [{ name: 'N', value }], resources });
  const deployment = (resources: object, sizeLimit: string | number, value = '1000') => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'ns' },
    spec: { template: { spec: { containers: [container(resources, value)], volumes: [{ name: 'tmp', emptyDir: { sizeLimit } }] } } },
  });
  const prepared = prepare(deployment({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: 2, memory: '1.5Gi' } }, '0.5Gi'), owner);
  const stored = (resources: object, sizeLimit = '512Mi', value = '1000') => {
    const live = structuredClone(deployment(resources, sizeLimit, value)) as any;
    live.metadata = structuredClone(prepared.metadata);
    return live;
  };
  const canonical = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1536Mi' } };

  it('are up to date in the form the apiserver stores them (1000m as 1, 1024Mi as 1Gi, 2 as "2")', () => {
    expect(verdict(prepared, stored(canonical))).toBe('up-to-date');
  });

  it('are drift when the value differs', () => {
    const edited = stored({ ...canonical, requests: { cpu: '1100m', memory: '1Gi' } });
    expect(verdict(prepared, edited)).toBe('drift');
    expect(firstDifference(edited, prepared)).toBe('.spec.template.spec.containers[0].resources.requests.cpu');
    expect(verdict(prepared, stored(canonical, '1Gi'))).toBe('drift');
  });

  it('only where the apiserver stores quantities: other strings are compared as written', () => {
    expect(verdict(prepared, stored(canonical, '512Mi', '1k'))).toBe('drift');
    expect(contains({ a: { requests: { cpu: '1' } } }, { a: { requests: { cpu: '1000m' } } })).toBe(false);
  });
});

describe('replicas hand-over to an autoscaler', () => {
  const autoscaled = prepare({ ...desired, spec: { template: desired.spec.template } }, owner);
  const live = (manager: string, operation = 'Apply') => ({
    spec: { replicas: 3 },
    metadata: { managedFields: [{ manager, operation, fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': {} } } }] },
  });

  it('shares the live replicas under a second manager when ours would drop them', () => {
    expect(replicasHandover(autoscaled, live('booking-operator'))).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'ns' }, spec: { replicas: 3 } });
  });

  it('is not needed while we set replicas, once we no longer own them, or for a new object', () => {
    expect(replicasHandover(prepare(desired, owner), live('booking-operator'))).toBeUndefined();
    expect(replicasHandover(autoscaled, live('kube-controller-manager', 'Update'))).toBeUndefined();
    expect(replicasHandover(autoscaled, live('handover-to-hpa'))).toBeUndefined();
    expect(replicasHandover(autoscaled, undefined)).toBeUndefined();
  });
});
