/**
 * `provisioner: sdk` through the running operator, with moto as AWS: the platform becomes Ready
 * with its connection Secret pointing at the database moto created, spec drift becomes a modify
 * call, and deletion carries out the policies (a final snapshot for Snapshot; Retain leaves the
 * resource) before the finalizer lets go.
 */
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { finalSnapshotId } from '../../src/render/ack/rds.ts';
import { awsName } from '../../src/render/names.ts';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const region = REGION;
const aws = motoClients(rig.awsEndpoint!);
const rds = aws.rds;
let op: OperatorProcess;
let network: { subnets: string[]; sg: string };

const CLUSTER = 'sdk-test';
const shop = { metadata: { name: 'shop', namespace: 'sdk-shop' } } as BookingPlatform;
const DB_ID = awsName(shop, { clusterName: CLUSTER }, 'db');
const PV_NAME = awsName(shop, { clusterName: CLUSTER }, 'whatsapp-auth');

beforeAll(async () => {
  const net = await motoNetwork(aws, '10.40.0.0/16');
  network = { subnets: net.subnetIds, sg: net.securityGroupIds[0]! };
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'sdk-test', env: { ...sdkOperatorEnv('sdk-test', CLUSTER, rig.awsEndpoint!, region), WATCH_NAMESPACES: 'sdk-shop' }, logDir: mkdtempSync(join(tmpdir(), 'sdk-test-')) });
});
afterAll(async () => {
  await op?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const cond = (type: string) => get(['bkp', 'shop', '-n', 'sdk-shop']).status?.conditions?.find((c: any) => c.type === type);

describe('provisioner sdk', () => {
  it('creates the data services in AWS and becomes Ready', async () => {
    kubectl(rig, ['create', 'namespace', 'sdk-shop']);
    const platform = {
      apiVersion: 'platform.booking.io/v1alpha1',
      kind: 'BookingPlatform',
      metadata: { name: 'shop', namespace: 'sdk-shop' },
      spec: {
        environment: 'staging',
        provisioner: 'sdk',
        aws: { region, subnetIds: network.subnets, securityGroupIds: [network.sg] },
        backend: { image: 'registry.example/backend:1.0.0' },
        whatsapp: { image: 'registry.example/wa:1.0.0' },
        database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Snapshot' },
        cache: { replicas: 0, deletionPolicy: 'Retain' },
        fileSystem: { deletionPolicy: 'Retain' },
      },
    };
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform));
    await waitUntil('Ready', () => cond('Ready')?.status === 'True', 90_000);
    const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: DB_ID }))).DBInstances![0]!;
    const secret = get(['secret', 'shop-connection', '-n', 'sdk-shop']).data;
    const decode = (k: string) => Buffer.from(secret[k], 'base64').toString();
    expect(decode('DB_HOST')).toBe(db.Endpoint!.Address);
    expect(decode('DATABASE_URL')).toMatch(/^postgresql:\/\/booking:.+@.+:5432\/booking$/);
    expect(decode('REDIS_URL')).toMatch(/^rediss:\/\//);
    expect(get(['bkp', 'shop', '-n', 'sdk-shop']).metadata.finalizers).toContain('platform.booking.io/cleanup');
    // the generated password is in Secrets only: not in status, Events or the operator's logs
    const password = decode('DB_PASSWORD');
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(get(['bkp', 'shop', '-n', 'sdk-shop']).status)).not.toContain(password);
    expect(kubectlOk(rig, ['get', 'events', '-n', 'sdk-shop', '-o', 'json'])).not.toContain(password);
    expect(readFileSync(op.log, 'utf8')).not.toContain(password);
    expect(get(['pv', PV_NAME]).spec.csi.volumeHandle).toMatch(/^fs-[0-9a-f]+::fsap-[0-9a-f]+$/);
  });

  it('turns a spec change into a modify call', async () => {
    kubectlOk(rig, ['patch', 'bkp', 'shop', '-n', 'sdk-shop', '--type=merge', '-p', JSON.stringify({ spec: { database: { instanceClass: 'db.t4g.medium' } } })]);
    await waitUntil('instance class modified in AWS', async () => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: DB_ID }))).DBInstances![0]!.DBInstanceClass === 'db.t4g.medium', 60_000, 500);
  });

  it('carries out the deletion policies before letting the platform go', async () => {
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', 'sdk-shop', '--wait=false']);
    await waitUntil('platform gone', () => kubectl(rig, ['get', 'bkp', 'shop', '-n', 'sdk-shop', '-o', 'name']).code !== 0, 120_000, 500);
    // the final snapshot is named per deletion: `<db id>-final-<UTC time the deletion began>`
    const snapshots = ((await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? []).filter((s) => s.DBInstanceIdentifier === DB_ID);
    expect(snapshots.map((s) => s.DBSnapshotIdentifier)).toEqual([expect.stringMatching(new RegExp(`^${finalSnapshotId(shop, { clusterName: CLUSTER })}-\\d{8}t\\d{6}$`))]);
    expect(snapshots).toHaveLength(1);
    const instances = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(instances.map((i) => i.DBInstanceIdentifier)).not.toContain(DB_ID);
    // Retain: the file system (the WhatsApp session) outlives the platform
    const fs = (await aws.efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    expect(fs.some((f) => f.Tags?.some((t) => t.Key === 'booking.io/platform' && t.Value === 'sdk-shop/shop'))).toBe(true);
    // the cluster-scoped volume goes too, once its claim is garbage-collected (pv-protection)
    await waitUntil('PersistentVolume gone', () => kubectl(rig, ['get', 'pv', PV_NAME, '-o', 'name']).code !== 0, 60_000, 500);
  });
});
