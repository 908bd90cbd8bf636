/** The ACK removal order and its protection handshake, decision by decision. */
import { describe, expect, it } from 'vitest';
import { platform, withDatabase } from '../../test/fixtures/platform.ts';
import { DEFAULT_CONTEXT } from '../render/names.ts';
import { AckRemover, ackSyncedSince, type AckObject, type AckWriter } from './ack-removal.ts';

function writer(objects: AckObject[]): AckWriter & { deleted: string[]; patched: string[] } {
  const deleted: string[] = [];
  const patched: string[] = [];
  return {
    deleted,
    patched,
    objects: () => objects.filter((o) => !deleted.includes(o.metadata.name)),
    patch: async (o) => {
      patched.push(o.metadata.name);
      return '2';
    },
    delete: async (o) => {
      deleted.push(o.metadata.name);
    },
  };
}

const ack = (kind: string, name: string, extra: Partial<AckObject> = {}): AckObject => ({ apiVersion: 'rds.services.k8s.aws/v1alpha1', kind, metadata: { name, uid: name, annotations: { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' } }, spec: {}, ...extra });

describe('AckRemover', () => {
  it('deletes dependents first: the DBInstance, then (on a later pass) its subnet group', async () => {
    const p = platform('shop', withDatabase({ deletionPolicy: 'Delete' }));
    const w = writer([ack('DBSubnetGroup', 'sg'), ack('DBInstance', 'db')]);
    const r = new AckRemover(w, DEFAULT_CONTEXT);
    const first = await r.remove(p, 'database', {});
    expect(w.deleted).toEqual(['db']);
    expect(first).toMatchObject({ done: false, message: expect.stringContaining('DBSubnetGroup sg goes after DBInstance db') });
    await r.remove(p, 'database', {});
    expect(w.deleted).toEqual(['db', 'sg']);
    expect(await r.remove(p, 'database', {})).toMatchObject({ done: true });
  });

  it('never deletes a protected database before ACK confirmed protection is off', async () => {
    const p = platform('shop', withDatabase({ deletionPolicy: 'Delete' }));
    const db = ack('DBInstance', 'db', { spec: { deletionProtection: true } });
    const w = writer([db]);
    const r = new AckRemover(w, DEFAULT_CONTEXT, () => new Date('2026-11-24T10:00:00Z'));
    await r.remove(p, 'database', {});
    expect(w.patched).toEqual(['db']);
    expect(w.deleted).toEqual([]);
  });

  it('reads ACK synced only when stamped well after the change, on another resourceVersion', () => {
    const since = '2026-11-24T10:00:00Z';
    const at = (t: string, rv = '3'): AckObject => ({ metadata: { name: 'db', resourceVersion: rv }, status: { conditions: [{ type: 'ACK.ResourceSynced', status: 'True', lastTransitionTime: t }] } });
    const now = new Date('2026-11-24T10:00:40Z');
    expect(ackSyncedSince(at('2026-11-24T10:00:01Z'), since, '2', now)).toBe(false);
    expect(ackSyncedSince(at('2026-11-24T10:00:31Z'), since, '2', now)).toBe(true);
    expect(ackSyncedSince(at('2026-11-24T10:00:31Z', '2'), since, '2', now)).toBe(false);
    expect(ackSyncedSince(at('2026-11-24T10:00:01Z'), since, '2', new Date('2026-11-24T10:03:00Z'))).toBe(true);
  });
});
