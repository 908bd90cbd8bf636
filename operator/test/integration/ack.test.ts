/**
 * `provisioner: ack` through deletion, with the test playing the ACK controllers (status, and the
 * finalizer ACK puts on what it manages): deleting the platform hands each ACK object to ACK with
 * the deletion policy the spec asked for, in the annotations ACK reads.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { finalSnapshotId } from '../../src/render/ack/rds.ts';
import { awsName, DEFAULT_CONTEXT } from '../../src/render/names.ts';
import { rawPlatform, set, withDatabase, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { makeAllAvailable } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
let op: OperatorProcess;
beforeAll(async () => {
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'ack-test', env: { LEASE_NAME: 'ack-test' }, logDir: mkdtempSync(join(tmpdir(), 'ack-test-')) });
});
afterAll(async () => {
  await op?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));

describe.each([
  ['Snapshot', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'false', 'rds.services.k8s.aws/final-db-snapshot-identifier': 'FINAL' }],
  ['Retain', { 'services.k8s.aws/deletion-policy': 'retain', 'rds.services.k8s.aws/skip-final-snapshot': 'false' }],
  ['Delete', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' }],
])('deletionPolicy %s', (policy, annotations) => {
  const ns = `ack-${policy.toLowerCase()}`;
  // the names the operator renders (it has no BOOKING_CLUSTER_NAME here: the default cluster)
  const ref = { metadata: { name: 'ackdb', namespace: ns } } as BookingPlatform;
  const ack = (suffix: string) => awsName(ref, DEFAULT_CONTEXT, suffix);
  it('hands the DBInstance to ACK with the right deletion annotations; the uploads bucket is retained', async () => {
    kubectl(rig, ['create', 'namespace', ns]);
    const p = { ...rawPlatform('ackdb', withDatabase({ deletionPolicy: policy }), withWhatsapp(), withUploads(), set('environment', 'staging')), metadata: { name: 'ackdb', namespace: ns } };
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(p));
    await waitUntil('Ready', () => {
      makeAllAvailable(rig, ns);
      return get(['bkp', 'ackdb', '-n', ns]).status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    }, 60_000, 500);
    // what the ACK controllers do: a finalizer on every resource they manage
    for (const [plural, name] of [['dbinstances.rds.services.k8s.aws', ack('db')], ['buckets.s3.services.k8s.aws', ack('uploads')]] as const) {
      kubectlOk(rig, ['patch', plural, name, '-n', ns, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: ['finalizers.services.k8s.aws/test'] } })]);
    }
    kubectlOk(rig, ['delete', 'bkp', 'ackdb', '-n', ns, '--wait=false']);
    await waitUntil('platform gone', () => kubectl(rig, ['get', 'bkp', 'ackdb', '-n', ns]).code !== 0, 60_000);
    // garbage collection hands the ACK objects to ACK for deletion
    const db = await waitUntil('DBInstance being deleted', () => {
      const o = get(['dbinstances.rds.services.k8s.aws', ack('db'), '-n', ns]);
      return o.metadata.deletionTimestamp ? o : undefined;
    }, 60_000);
    const expected = Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, v === 'FINAL' ? finalSnapshotId(ref) : v]));
    expect(db.metadata.annotations).toMatchObject(expected);
    const bucket = get(['buckets.s3.services.k8s.aws', ack('uploads'), '-n', ns]);
    expect(bucket.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
    // ACK finishes
    for (const [plural, name] of [['dbinstances.rds.services.k8s.aws', ack('db')], ['buckets.s3.services.k8s.aws', ack('uploads')]] as const) {
      kubectlOk(rig, ['patch', plural, name, '-n', ns, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: null } })]);
    }
    // the cluster-scoped volume the operator's finalizer took care of
    await waitUntil('PersistentVolume gone', () => kubectl(rig, ['get', 'pv', ack('whatsapp-auth')]).code !== 0, 60_000, 500);
  });
});
