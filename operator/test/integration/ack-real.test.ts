/**
 * `provisioner: ack` end to end with the REAL ACK rds-controller (v1.10.0, built from its Go
 * module by scripts/rig/ensure-binaries.sh `ack`) and moto as AWS: the operator renders the
 * DBSubnetGroup / DBInstance / DBCluster objects, the rds-controller creates them in moto and
 * writes their status, and the platform becomes Ready with the endpoint moto gave the database.
 * Then deletion: the platform stays until the database is gone from AWS with its final snapshot
 * (deletionPolicy Snapshot, and the production defaults with deletion protection on); with Retain
 * the database stays in AWS and its master-password Secret outlives the platform.
 *
 * Only the database is in these platforms: the cache runs through the real elasticache-controller
 * in ack-real-cache.test.ts; EFS and S3 have no real controller here (see
 * operator/test/rig/fake-ack.ts for the imitation the other files use).
 */
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { motoClients, network, REGION, type Network } from '../aws/moto.ts';
import { rawPlatform, set, withDatabase } from '../fixtures/platform.ts';
import { startAckRdsController, type AckController } from '../rig/ack-controller.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const rds = motoClients(rig.awsEndpoint!).rds;
const logDir = mkdtempSync(join(tmpdir(), 'ack-real-'));

type Engine = 'postgres' | 'mysql' | 'aurora';
const DATABASES: Record<Engine, Record<string, unknown>> = {
  postgres: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false },
  mysql: { engine: 'mysql', version: '8.0', instanceClass: 'db.t4g.small', storageGiB: 50, maxStorageGiB: 200, multiAZ: false },
  aurora: { engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 2 }, multiAZ: false },
};
const ENGINES = Object.keys(DATABASES) as Engine[];
/** One namespace per case; the rds-controller watches exactly these. */
const NS = {
  ...Object.fromEntries(ENGINES.map((e) => [e, `ackr-${e}`])),
  prodPostgres: 'ackr-prod-postgres',
  prodAurora: 'ackr-prod-aurora',
  retain: 'ackr-retain',
} as Record<Engine | 'prodPostgres' | 'prodAurora' | 'retain', string>;

let net: Network;
let ack: AckController;
let op: OperatorProcess;

beforeAll(async () => {
  net = await network(motoClients(rig.awsEndpoint!), '10.60.0.0/16');
  for (const ns of Object.values(NS)) kubectl(rig, ['create', 'namespace', ns]);
  ack = await startAckRdsController(rig, { awsEndpoint: rig.awsEndpoint!, namespace: Object.values(NS).join(','), logDir });
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'ack-real', env: { LEASE_NAME: 'ack-real', WATCH_NAMESPACES: Object.values(NS).join(',') }, logDir });
  console.log(`[ack-real] logs in ${logDir} (operator: ${op.log}, rds-controller: ${ack.log})`);
});
afterAll(async () => {
  await op?.stop();
  await ack?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const platformOf = (ns: string, name: string) => {
  const r = kubectl(rig, ['get', 'bkp', name, '-n', ns, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const condition = (ns: string, name: string, type: string) => platformOf(ns, name)?.status?.conditions?.find((c: any) => c.type === type);
const secretValue = (ns: string, name: string, key: string) => Buffer.from(get(['secret', name, '-n', ns]).data[key], 'base64').toString();

function applyPlatform(ns: string, name: string, db: Record<string, unknown>, environment: 'staging' | 'production'): void {
  const raw = rawPlatform(name, withDatabase(db), set('environment', environment), set('aws', { region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds }));
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...raw, metadata: { name, namespace: ns } }));
}

/** The ACK object holding the data (DBCluster for Aurora, else the DBInstance), as the operator rendered it. */
function dataObject(ns: string, name: string, engine: Engine) {
  const kind = engine === 'aurora' ? 'dbclusters.rds.services.k8s.aws' : 'dbinstances.rds.services.k8s.aws';
  const items = get([kind, '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];
  expect(items, `${kind} in ${ns}`).toHaveLength(1);
  const o = items[0];
  return { object: o, id: (engine === 'aurora' ? o.spec.dbClusterIdentifier : o.spec.dbInstanceIdentifier) as string, masterSecret: o.spec.masterUserPassword?.name as string | undefined };
}

/** What moto says about the database: undefined once it is gone. */
async function inAws(engine: Engine, id: string): Promise<{ endpoint?: string; deletionProtection?: boolean; status?: string } | undefined> {
  try {
    if (engine === 'aurora') {
      const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
      return c && { endpoint: c.Endpoint, deletionProtection: c.DeletionProtection, status: c.Status };
    }
    const i = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    return i && { endpoint: i.Endpoint?.Address, deletionProtection: i.DeletionProtection, status: i.DBInstanceStatus };
  } catch (err) {
    if (/NotFound/.test((err as Error).name)) return undefined;
    throw err;
  }
}

/**
 * Every setting the operator put in the ACK object's spec, as AWS (moto) reports it: proof that
 * the real controller carried each field to AWS rather than dropping it.
 */
async function specAsInAws(engine: Engine, spec: any): Promise<{ want: Record<string, unknown>; got: Record<string, unknown> }> {
  const pick = (src: any, map: Record<string, string>) => Object.fromEntries(Object.entries(map).filter(([k]) => spec[k] !== undefined).map(([k, a]) => [k, a.split('.').reduce((o, key) => o?.[key], src)]));
  const want = (map: Record<string, string>) => Object.fromEntries(Object.keys(map).filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]));
  const tags = (list: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));
  const common = { engine: 'Engine', storageEncrypted: 'StorageEncrypted', backupRetentionPeriod: 'BackupRetentionPeriod', deletionProtection: 'DeletionProtection', copyTagsToSnapshot: 'CopyTagsToSnapshot', masterUsername: 'MasterUsername' };
  if (engine === 'aurora') {
    const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: spec.dbClusterIdentifier }))).DBClusters![0]!;
    const map = { ...common, databaseName: 'DatabaseName', dbSubnetGroupName: 'DBSubnetGroup', engineVersion: 'EngineVersion' };
    return {
      want: { ...want(map), scaling: spec.serverlessV2ScalingConfiguration, tags: tags(spec.tags?.map((t: any) => ({ Key: t.key, Value: t.value }))) },
      got: { ...pick(c, map), scaling: c.ServerlessV2ScalingConfiguration && { minCapacity: c.ServerlessV2ScalingConfiguration.MinCapacity, maxCapacity: c.ServerlessV2ScalingConfiguration.MaxCapacity }, tags: Object.fromEntries(Object.entries(tags(c.TagList)).filter(([k]) => spec.tags?.some((t: any) => t.key === k))) },
    };
  }
  const i = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: spec.dbInstanceIdentifier }))).DBInstances![0]!;
  const map = {
    ...common,
    dbInstanceClass: 'DBInstanceClass',
    allocatedStorage: 'AllocatedStorage',
    maxAllocatedStorage: 'MaxAllocatedStorage',
    storageType: 'StorageType',
    multiAZ: 'MultiAZ',
    publiclyAccessible: 'PubliclyAccessible',
    autoMinorVersionUpgrade: 'AutoMinorVersionUpgrade',
    dbName: 'DBName',
    dbSubnetGroupName: 'DBSubnetGroup.DBSubnetGroupName',
  };
  return {
    want: { ...want(map), engineVersion: String(spec.engineVersion).split('.')[0], securityGroups: spec.vpcSecurityGroupIDs, tags: tags(spec.tags?.map((t: any) => ({ Key: t.key, Value: t.value }))) },
    got: { ...pick(i, map), engineVersion: i.EngineVersion?.split('.')[0], securityGroups: i.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId), tags: Object.fromEntries(Object.entries(tags(i.TagList)).filter(([k]) => spec.tags?.some((t: any) => t.key === k))) },
  };
}

/** Manual (final) snapshots of the database in moto. */
async function finalSnapshots(engine: Engine, id: string): Promise<string[]> {
  if (engine === 'aurora') {
    const r = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: id }));
    return (r.DBClusterSnapshots ?? []).filter((s) => s.SnapshotType === 'manual').map((s) => s.DBClusterSnapshotIdentifier!);
  }
  const r = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id }));
  return (r.DBSnapshots ?? []).filter((s) => s.SnapshotType === 'manual' || !s.DBSnapshotIdentifier?.startsWith('rds:')).map((s) => s.DBSnapshotIdentifier!);
}

/** Ready, with the connection Secret pointing at the endpoint moto gave the database. */
async function bringUp(ns: string, name: string, engine: Engine, environment: 'staging' | 'production', extra: Record<string, unknown> = {}) {
  applyPlatform(ns, name, { ...DATABASES[engine], ...extra }, environment);
  await waitUntil(`${ns}/${name} Ready`, () => condition(ns, name, 'Ready')?.status === 'True', 150_000, 500);
  const db = dataObject(ns, name, engine);
  const aws = await inAws(engine, db.id);
  expect(aws?.endpoint, `${db.id} in moto`).toBeTruthy();
  expect(secretValue(ns, `${name}-connection`, 'DB_HOST')).toBe(aws!.endpoint);
  return { ...db, aws: aws! };
}

/**
 * Deletes the platform and waits until it is gone, checking at that moment that the database is
 * already gone from AWS (the platform must not go first).
 */
async function deleteAndWaitGone(ns: string, name: string, engine: Engine, id: string, timeoutMs = 240_000): Promise<{ dbWhenGone: unknown; snapshots: string[] }> {
  kubectlOk(rig, ['delete', 'bkp', name, '-n', ns, '--wait=false']);
  try {
    await waitUntil(`${ns}/${name} gone`, () => platformOf(ns, name) === undefined, timeoutMs, 250);
  } catch (err) {
    const p = platformOf(ns, name);
    throw new Error(`${(err as Error).message}\nplatform status: ${JSON.stringify(p?.status?.conditions?.map((c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message}`))}\nin AWS: ${JSON.stringify(await inAws(engine, id))}`, { cause: err });
  }
  return { dbWhenGone: await inAws(engine, id), snapshots: await finalSnapshots(engine, id) };
}

describe.each(ENGINES)('%s through the real rds-controller', (engine) => {
  const ns = NS[engine];
  const name = 'shop';
  let id = '';

  it('reaches Ready with the endpoint moto gave the database', async () => {
    const db = await bringUp(ns, name, engine, 'staging', { deletionPolicy: 'Snapshot' });
    id = db.id;
    expect(db.aws.status).toBe('available');
    // ACK's own view agrees
    const synced = db.object.status?.conditions?.find((c: any) => c.type === 'ACK.ResourceSynced');
    expect(synced?.status).toBe('True');
    // everything the operator asked for arrived in AWS
    const { want, got } = await specAsInAws(engine, db.object.spec);
    expect(Object.keys(want).length).toBeGreaterThanOrEqual(engine === 'aurora' ? 10 : 16);
    expect(got).toEqual(want);
    if (engine === 'aurora') {
      const members = get(['dbinstances.rds.services.k8s.aws', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items;
      expect(members.map((m: any) => m.spec.dbInstanceClass)).toEqual(['db.serverless']);
      for (const m of members) expect((await inAws('postgres', m.spec.dbInstanceIdentifier))?.status).toBe('available');
    }
  });

  it('deletionPolicy Snapshot: the platform stays until the database is gone from AWS and its final snapshot exists', async () => {
    expect(id, 'the Ready test ran').not.toBe('');
    const { dbWhenGone, snapshots } = await deleteAndWaitGone(ns, name, engine, id);
    expect(dbWhenGone, `${id} still in AWS when the platform was gone`).toBeUndefined();
    expect(snapshots, `final snapshot of ${id}`).toHaveLength(1);
    console.log(`[ack-real] ${engine}: final snapshot ${snapshots[0]}`);
  });
});

describe.each([
  ['postgres', 'prodPostgres'],
  ['aurora', 'prodAurora'],
] as const)('environment production defaults (%s): deletion protection on', (engine, key) => {
  const ns = NS[key];
  const name = 'prod';
  let id = '';

  it('is created with deletion protection in AWS', async () => {
    const db = await bringUp(ns, name, engine, 'production');
    id = db.id;
    expect(db.aws.deletionProtection).toBe(true);
  });

  it('deleting the platform lifts the protection, takes the final snapshot, deletes the database, then lets the platform go', async () => {
    expect(id, 'the Ready test ran').not.toBe('');
    const { dbWhenGone, snapshots } = await deleteAndWaitGone(ns, name, engine, id);
    expect(dbWhenGone, `${id} still in AWS when the platform was gone`).toBeUndefined();
    expect(snapshots, `final snapshot of ${id}`).toHaveLength(1);
  });
});

describe('deletionPolicy Retain', () => {
  const ns = NS.retain;
  const name = 'keep';

  it('the database stays in AWS and its master-password Secret outlives the platform, owned by nothing', async () => {
    const db = await bringUp(ns, name, 'postgres', 'staging', { deletionPolicy: 'Retain' });
    expect(db.masterSecret).toBeTruthy();
    const { dbWhenGone, snapshots } = await deleteAndWaitGone(ns, name, 'postgres', db.id);
    expect(dbWhenGone, `${db.id} retained in AWS`).toMatchObject({ status: 'available' });
    expect(snapshots).toEqual([]);
    // ACK let go of it (retain: finalizer removed, AWS untouched)
    await waitUntil('DBInstance object released', () => kubectl(rig, ['get', 'dbinstances.rds.services.k8s.aws', db.object.metadata.name, '-n', ns, '-o', 'name']).code !== 0, 60_000);
    const secret = get(['secret', db.masterSecret!, '-n', ns]);
    expect(secret.metadata.ownerReferences ?? []).toEqual([]);
    expect(secret.data.password).toBeTruthy();
  });
});
