/** The caches keep objects without managedFields, yet replicasHandover decides as on the full object. */
import { describe, expect, it } from 'vitest';
import type { Obj } from '../kube/client.ts';
import { FIELD_MANAGER } from '../render/names.ts';
import { prepare, replicasHandover } from './apply.ts';
import { withoutManagedFields } from './controller.ts';

const deployment = (managedFields: unknown[]): Obj =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop-backend', namespace: 'shop', managedFields }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'backend', image: 'x' }] } } }, status: { availableReplicas: 3 } }) as Obj;

const entry = (manager: string, operation: string, spec: Record<string, unknown>) => ({ manager, operation, apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': spec } });

describe('withoutManagedFields', () => {
  const ours = entry(FIELD_MANAGER, 'Apply', { 'f:replicas': {}, 'f:template': {} });
  const hpa = entry('kube-controller-manager', 'Update', { 'f:replicas': {} });
  const kubectl = entry('kubectl', 'Apply', { 'f:replicas': {} });

  it('drops every entry but a stub of ours when it claims spec.replicas; spec and status stay whole', () => {
    const trimmed = withoutManagedFields(deployment([ours, hpa, kubectl]));
    expect(trimmed.metadata.managedFields).toEqual([{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }]);
    expect(trimmed.spec).toEqual(deployment([]).spec);
    expect(trimmed.status).toEqual({ availableReplicas: 3 });
    expect(withoutManagedFields(deployment([hpa, kubectl])).metadata.managedFields).toBeUndefined();
  });

  it('replicasHandover answers the same on the trimmed object as on the full one', () => {
    const desired = prepare({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop-backend', namespace: 'shop' }, spec: { template: {} } }, undefined);
    for (const fields of [[ours, hpa], [hpa, kubectl], [entry(FIELD_MANAGER, 'Apply', { 'f:template': {} })], []]) {
      const full = deployment(fields);
      expect(replicasHandover(desired, withoutManagedFields(full))).toEqual(replicasHandover(desired, full));
    }
    expect(replicasHandover(desired, withoutManagedFields(deployment([ours])))).toMatchObject({ spec: { replicas: 3 } });
  });
});
