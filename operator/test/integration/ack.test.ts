/**
 * `provisioner: ack` through deletion, with the test playing the ACK controllers (status, and the
 * finalizer ACK puts on what it manages): deleting the platform, the operator annotates each ACK
 * object for its recorded deletion policy, deletes it, and keeps the platform (and its status)
 * until ACK has let go; the database credential outlives it unless the policy is Delete.
 * (The real rds-controller is in ack-real.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { DEFAULT_CONTEXT, whatsappVolumeName } from '../../src/render/names.ts';
import { rawPlatform, set, withDatabase, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { makeAllAvailable } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
let op: OperatorProcess;
beforeAll(async () => {
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'ack-test', env: { LEASE_NAME: 'ack-test', WATCH_NAMESPACES: 'ack-snapshot,ack-retain,ack-delete' }, logDir: mkdtempSync(join(tmpdir(), 'ack-test-')) });
});
afterAll(async () => {
  await op?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));

const SNAPSHOT_ID = /^bkp-.*-db-final-\d{8}t\d{6}$/;

describe.each([
  ['Snapshot', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'false', 'rds.services.k8s.aws/final-db-snapshot-identifier': expect.stringMatching(SNAPSHOT_ID) }, 'kept'],
  ['Retain', { 'services.k8s.aws/deletion-policy': 'retain' }, 'kept'],
  ['Delete', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' }, 'deleted'],
] as const)('deletionPolicy %s', (policy, annotations, credential) => {
  const ns = `ack-${policy.toLowerCase()}`;
  it('the platform stays until ACK has let go of the DBInstance it deleted with the right annotations; the bucket is retained', async () => {
    kubectl(rig, ['create', 'namespace', ns]);
    const p = { ...rawPlatform('ackdb', withDatabase({ deletionPolicy: policy }), withWhatsapp(), withUploads(), set('environment', 'staging')), metadata: { name: 'ackdb', namespace: ns } };
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(p));
    // what holds Ready, told when the wait ends (a clean-clone run under load sat 76 s in Pending
    // with every object applied: the workloads' rollout, not the operator, is what takes the time)
    let why = '';
    await waitUntil('Ready', () => {
      makeAllAvailable(rig, ns);
      const ready = get(['bkp', 'ackdb', '-n', ns]).status?.conditions?.find((c: any) => c.type === 'Ready');
      why = ready ? `${ready.reason}: ${ready.message}` : 'no Ready condition';
      return ready?.status === 'True';
    }, 150_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}; Ready says ${why}`);
    });
    const one = (plural: string) => get([plural, '-n', ns, '-l', 'platform.booking.io/name=ackdb']).items[0];
    const dbName = one('dbinstances.rds.services.k8s.aws').metadata.name as string;
    const bucketName = one('buckets.s3.services.k8s.aws').metadata.name as string;
    // what the ACK controllers do: a finalizer on every resource they manage
    for (const [plural, name] of [['dbinstances.rds.services.k8s.aws', dbName], ['buckets.s3.services.k8s.aws', bucketName]] as const) {
      kubectlOk(rig, ['patch', plural, name, '-n', ns, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: ['finalizers.services.k8s.aws/test'] } })]);
    }
    kubectlOk(rig, ['delete', 'bkp', 'ackdb', '-n', ns, '--wait=false']);
    // the operator itself hands each ACK object to ACK, annotated for its policy
    const db = await waitUntil('DBInstance being deleted', () => {
      const o = get(['dbinstances.rds.services.k8s.aws', dbName, '-n', ns]);
      return o.metadata.deletionTimestamp ? o : undefined;
    }, 60_000);
    expect(db.metadata.annotations).toMatchObject(annotations);
    const bucket = await waitUntil('Bucket being deleted', () => {
      const o = get(['buckets.s3.services.k8s.aws', bucketName, '-n', ns]);
      return o.metadata.deletionTimestamp ? o : undefined;
    }, 60_000);
    expect(bucket.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
    // while ACK works, the platform stays and says what it waits for (once the pass after the
    // deletes has run: the pass that issues them says "deleting …")
    const waiting = await waitUntil('the platform to say it waits for ACK', () => {
      const o = get(['bkp', 'ackdb', '-n', ns]);
      return o.status.conditions.find((c: any) => c.type === 'Ready').message.includes('waiting for ACK to') ? o : undefined;
    }, 30_000);
    expect(waiting.status.phase).toBe('Deleting');
    expect(waiting.status.conditions.find((c: any) => c.type === 'Ready').message).toContain(`waiting for ACK to`);
    // ACK finishes
    for (const [plural, name] of [['dbinstances.rds.services.k8s.aws', dbName], ['buckets.s3.services.k8s.aws', bucketName]] as const) {
      kubectlOk(rig, ['patch', plural, name, '-n', ns, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: null } })]);
    }
    await waitUntil('platform gone', () => kubectl(rig, ['get', 'bkp', 'ackdb', '-n', ns, '-o', 'name']).code !== 0, 60_000);
    // the credential of what stays in AWS outlives the platform; with Delete it goes
    const secret = kubectl(rig, ['get', 'secret', 'ackdb-db-master', '-n', ns, '-o', 'json']);
    if (credential === 'kept') expect(JSON.parse(secret.stdout).metadata.ownerReferences ?? []).toEqual([]);
    else await waitUntil('master Secret deleted', () => kubectl(rig, ['get', 'secret', 'ackdb-db-master', '-n', ns, '-o', 'name']).code !== 0, 30_000, 500);
    // the cluster-scoped volume the operator's finalizer took care of
    const pv = whatsappVolumeName({ metadata: { name: 'ackdb', namespace: ns } } as BookingPlatform, DEFAULT_CONTEXT);
    await waitUntil('PersistentVolume gone', () => kubectl(rig, ['get', 'pv', pv, '-o', 'name']).code !== 0, 60_000, 500);
  });
});
