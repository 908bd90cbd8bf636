/**
 * Data safety through the running operator, `provisioner: sdk`, moto as AWS (the real wire
 * protocol): deletion with the production defaults (deletion protection on, Snapshot), removal of
 * a section that needs confirmation, a database deleted outside the operator, paused deletion,
 * and a platform deleted, re-created under the same name and deleted again.
 */
import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { dbIdentifier } from '../../src/render/ack/rds.ts';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const CLUSTER = 'data-safety';
let op: OperatorProcess;
let net: { subnets: string[]; sg: string };

beforeAll(async () => {
  const n = await motoNetwork(aws, '10.41.0.0/16');
  net = { subnets: n.subnetIds, sg: n.securityGroupIds[0]! };
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'data-safety', env: { ...sdkOperatorEnv('data-safety', CLUSTER, rig.awsEndpoint!, REGION), WATCH_NAMESPACES: 'ds-prod,ds-again,ds-remove,ds-lost,ds-paused' }, logDir: mkdtempSync(join(tmpdir(), 'data-safety-')) });
});
afterAll(async () => {
  await op?.stop();
});

const get = (ns: string, args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-n', ns, '-o', 'json']));
const platformOf = (ns: string) => (kubectl(rig, ['get', 'bkp', 'shop', '-n', ns, '-o', 'json']).code === 0 ? get(ns, ['bkp', 'shop']) : undefined);
const cond = (ns: string, type: string) => platformOf(ns)?.status?.conditions?.find((c: any) => c.type === type);
const dbId = (ns: string) => dbIdentifier({ metadata: { name: 'shop', namespace: ns } } as BookingPlatform, { clusterName: CLUSTER });
const instance = async (id: string) => (await aws.rds.send(new DescribeDBInstancesCommand({})).then((o) => o.DBInstances ?? [])).find((i) => i.DBInstanceIdentifier === id);
const snapshotsOf = async (id: string) => ((await aws.rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? []).filter((s) => s.DBInstanceIdentifier === id).map((s) => s.DBSnapshotIdentifier!);

function apply(ns: string, spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}): void {
  kubectl(rig, ['create', 'namespace', ns]);
  const p = {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name: 'shop', namespace: ns, annotations },
    spec: {
      environment: 'production',
      provisioner: 'sdk',
      aws: { region: REGION, subnetIds: net.subnets, securityGroupIds: [net.sg] },
      backend: { image: 'registry.example/backend:1.0.0' },
      whatsapp: { enabled: false, image: 'registry.example/wa:1.0.0' },
      database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false },
      ...spec,
    },
  };
  kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(p));
}

async function ready(ns: string): Promise<void> {
  await waitUntil(`${ns} Ready`, () => cond(ns, 'Ready')?.status === 'True', 90_000, 500);
}

describe('data safety, provisioner sdk', () => {
  it('production defaults: deletion lifts protection, takes the final snapshot, deletes, keeps the credential, then lets go', async () => {
    const ns = 'ds-prod';
    apply(ns);
    await ready(ns);
    expect((await instance(dbId(ns)))?.DeletionProtection).toBe(true);
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', ns, '--wait=false']);
    await waitUntil('platform gone', () => !platformOf(ns), 90_000, 500);
    expect(await instance(dbId(ns))).toBeUndefined();
    expect(await snapshotsOf(dbId(ns))).toEqual([expect.stringMatching(new RegExp(`^${dbId(ns)}-final-\\d{8}t\\d{6}$`))]);
    const secret = get(ns, ['secret', 'shop-db-master']);
    expect(secret.metadata.ownerReferences ?? []).toEqual([]);
    expect(secret.metadata.annotations['platform.booking.io/credential-for']).toMatch(/^DBSnapshot /);
    const events = kubectlOk(rig, ['get', 'events', '-n', ns, '-o', 'json']);
    expect(events).toContain('DataServiceRemoved');
  });

  it('deleted, re-created under the same name, deleted again: a second, distinct final snapshot', async () => {
    const ns = 'ds-again';
    const snaps: string[][] = [];
    for (let round = 0; round < 2; round++) {
      apply(ns, { environment: 'staging' });
      await ready(ns);
      kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', ns, '--wait=false']);
      await waitUntil('platform gone', () => !platformOf(ns), 90_000, 500);
      snaps.push(await snapshotsOf(dbId(ns)));
      // the next round starts after the UTC second in the snapshot name has passed
      await new Promise((r) => setTimeout(r, 1_100));
    }
    expect(snaps[0]).toHaveLength(1);
    expect(snaps[1]).toHaveLength(2);
  });

  it('removing the database section waits for confirmation, then follows Snapshot', async () => {
    const ns = 'ds-remove';
    apply(ns, { environment: 'staging' });
    await ready(ns);
    kubectlOk(rig, ['patch', 'bkp', 'shop', '-n', ns, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/database' }])]);
    await waitUntil('RemovalNeedsConfirmation', () => cond(ns, 'Stalled')?.reason === 'RemovalNeedsConfirmation', 30_000, 500);
    expect(await instance(dbId(ns))).toBeDefined();
    expect(get(ns, ['secret', 'shop-db-master']).metadata.ownerReferences).toHaveLength(1);
    kubectlOk(rig, ['annotate', 'bkp', 'shop', '-n', ns, 'platform.booking.io/confirm-removal=database']);
    await waitUntil('database removed', async () => !(await instance(dbId(ns))) && cond(ns, 'Ready')?.status === 'True', 60_000, 500);
    expect(await snapshotsOf(dbId(ns))).toHaveLength(1);
    expect(platformOf(ns).status.released).toEqual([expect.objectContaining({ service: 'database', policy: 'Snapshot', secret: 'shop-db-master' })]);
    expect(get(ns, ['secret', 'shop-db-master']).metadata.ownerReferences ?? []).toEqual([]);
  });

  it('a database deleted outside the operator is reported, never re-created empty', async () => {
    const ns = 'ds-lost';
    apply(ns, { environment: 'staging', database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Delete' } });
    await ready(ns);
    await aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: dbId(ns), SkipFinalSnapshot: true }));
    await waitUntil('Missing', () => cond(ns, 'DatabaseReady')?.reason === 'Missing', 60_000, 500);
    expect(cond(ns, 'Stalled')?.status).toBe('True');
    // well past the provider's requeue: still nothing created
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await instance(dbId(ns))).toBeUndefined();
    kubectlOk(rig, ['annotate', 'bkp', 'shop', '-n', ns, 'platform.booking.io/recreate=database']);
    await waitUntil('re-created on request', async () => Boolean(await instance(dbId(ns))), 60_000, 500);
  });

  it('paused holds deletion, and says so; unpausing lets it run', async () => {
    const ns = 'ds-paused';
    apply(ns, { environment: 'staging', database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Delete' } });
    await ready(ns);
    kubectlOk(rig, ['patch', 'bkp', 'shop', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { paused: true } })]);
    await waitUntil('Paused', () => platformOf(ns)?.status?.phase === 'Paused', 30_000, 500);
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', ns, '--wait=false']);
    await waitUntil('deletion waits', () => /spec\.paused is true/.test(cond(ns, 'Ready')?.message ?? ''), 30_000, 500);
    expect(await instance(dbId(ns))).toBeDefined();
    kubectlOk(rig, ['patch', 'bkp', 'shop', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { paused: false } })]);
    await waitUntil('platform gone', () => !platformOf(ns), 90_000, 500);
    expect(await instance(dbId(ns))).toBeUndefined();
    // Delete: no snapshot, and the credential goes with the database
    expect(await snapshotsOf(dbId(ns))).toEqual([]);
    expect(kubectl(rig, ['get', 'secret', 'shop-db-master', '-n', ns, '-o', 'name']).code).not.toBe(0);
  });
});

