import { describe, expect, it } from 'vitest';
import { contains, prepare, verdict } from './apply.ts';

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
