/** provisioner sdk, RDS and Aurora, against a private moto_server. */
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, DescribeDBSubnetGroupsCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.ts';
import { createSdkProvider } from '../../src/aws/provider.ts';
import { finalSnapshotId } from '../../src/render/ack/rds.ts';
import { set, withDatabase } from '../fixtures/platform.ts';
import { awsId, captureLog, CLUSTER, converge, finalizeAll, motoClients, PASSWORD, provider, REGION, sdkPlatform, useMoto, type Moto, type Network, finalizePass } from './moto.ts';

let moto: Moto;
let aws: AwsClients;
let net: Network;

useMoto((env) => ({ moto, aws, net } = env));

const instance = async (id: string) => (await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
const cluster = async (id: string) => (await aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters![0]!;
const instanceIds = async (prefix: string) => ((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier!).filter((id) => id.startsWith(prefix)).sort();
const clusterIds = async (prefix: string) => ((await aws.rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? []).map((c) => c.DBClusterIdentifier!).filter((id) => id.startsWith(prefix));

/** Records the input of every RDS call the provider makes. */
function recordingClients() {
  const c = motoClients(moto.endpoint);
  const calls: Array<{ command: string; input: any }> = [];
  c.rds.middlewareStack.add((next, context) => async (args) => {
    calls.push({ command: String(context.commandName), input: args.input });
    return next(args);
  }, { step: 'initialize', name: 'recordCalls' });
  return { clients: c, calls };
}

describe('PostgreSQL on RDS', () => {
  it('creates the subnet group and a DB instance with the ACK renderer’s settings, then reports it usable with the passed-in password', async () => {
    const p = sdkPlatform('pg', net, withDatabase({ instanceClass: 'db.t3.micro', maxStorageGiB: 100 }));
    const { clients, calls } = recordingClients();
    const { log, lines } = captureLog();
    const dp = createSdkProvider({ region: REGION, log, clients: () => clients, clusterName: CLUSTER });

    const first = await dp.observe(p, PASSWORD);
    expect(first.database).toMatchObject({ ready: false, reason: 'Creating' });
    expect(first.requeueAfterMs).toBeGreaterThan(0);
    const { o, passes } = await converge(dp, p);
    expect(passes).toBeLessThanOrEqual(2);

    const id = awsId('pg', 'db');
    expect(o.database).toMatchObject({ ready: true, reason: 'Available' });
    expect(o.database!.connection).toEqual({ engine: 'postgres', host: expect.stringContaining(id), port: 5432, name: 'booking', user: 'booking', password: PASSWORD });
    expect(o.requeueAfterMs).toBeUndefined();

    const sg = (await aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: id }))).DBSubnetGroups![0]!;
    expect(sg.Subnets!.map((s) => s.SubnetIdentifier).sort()).toEqual([...net.subnetIds].sort());
    const db = await instance(id);
    expect(db).toMatchObject({
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MultiAZ: true,
      BackupRetentionPeriod: 7,
      DBName: 'booking',
      MasterUsername: 'booking',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
      StorageType: 'gp3',
    });
    expect(db.DBSubnetGroup?.DBSubnetGroupName).toBe(id);
    // data services get only the spec's security groups
    expect(db.VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId)).toEqual(net.securityGroupIds);
    expect(db.TagList).toEqual(expect.arrayContaining([{ Key: 'booking.io/platform', Value: 'pg/pg' }, { Key: 'booking.io/environment', Value: 'production' }]));

    // the generated secret round trip: what the reconciler passed is what RDS got, and never a log line
    const create = calls.filter((c) => c.command === 'CreateDBInstanceCommand');
    expect(create).toHaveLength(1);
    expect(create[0]!.input.MasterUserPassword).toBe(PASSWORD);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('waits for the master password Secret and creates nothing without it', async () => {
    const p = sdkPlatform('nopw', net, withDatabase());
    const o = await provider(moto.endpoint).observe(p, undefined);
    expect(o.database).toMatchObject({ ready: false, reason: 'PasswordPending' });
    expect(await instanceIds('bkp-nopw-')).toEqual([]);
  });

  it('a password RDS rejects is a terminal state quoting the AWS message (and the password is not in it)', async () => {
    // moto validates the password of clusters (not of instances)
    const p = sdkPlatform('shortpw', net, withDatabase({ engine: 'aurora-postgresql', version: '16.4' }));
    const o = await provider(moto.endpoint).observe(p, 'abc1234');
    expect(o.database).toMatchObject({ ready: false, reason: 'AwsInvalidRequest', terminal: true });
    expect(o.database!.message).toMatch(/^CreateDBCluster bkp-shortpw-shortpw-[0-9a-f]{10}-db: InvalidParameterValue: ".*MasterUserPassword.*shorter than 8 characters\."$/);
    expect(o.database!.message).not.toContain('abc1234');
    expect(o.requeueAfterMs).toBeUndefined();
    expect(await clusterIds('bkp-shortpw-')).toEqual([]);
  });

  it('delayed readiness: a DBInstance AWS reports as creating is a requeue quoting the status', async () => {
    const p = sdkPlatform('slow', net, withDatabase());
    await converge(provider(moto.endpoint), p);
    const dp = provider(moto.endpoint, { statusOverride: ({ kind, status }) => (kind === 'DBInstance' ? 'creating' : status), requeueAfterMs: 7_000 });
    const o = await dp.observe(p, PASSWORD);
    expect(o.database).toEqual({ ready: false, reason: 'Creating', message: `DBInstance ${awsId('slow', 'db')}: AWS status "creating"` });
    expect(o.requeueAfterMs).toBe(7_000);
    // a backup is routine: usable (its connection kept), not converged (see converging.test.ts)
    const later = await provider(moto.endpoint, { statusOverride: () => 'backing-up' }).observe(p, PASSWORD);
    expect(later.database).toMatchObject({ ready: true, converged: false, reason: 'AvailableNotConverged', message: expect.stringContaining('"backing-up"') });
  });

  it('corrects drift in spec-owned fields with ModifyDBInstance (ApplyImmediately)', async () => {
    const p = sdkPlatform('pgdrift', net, set('environment', 'staging'), withDatabase({ instanceClass: 'db.t3.micro' }));
    await converge(provider(moto.endpoint), p);
    const id = awsId('pgdrift', 'db');
    expect(await instance(id)).toMatchObject({ DBInstanceClass: 'db.t3.micro', DeletionProtection: false });

    const changed = sdkPlatform('pgdrift', net, set('environment', 'staging'), withDatabase({ instanceClass: 'db.t3.small', storageGiB: 50, backupRetentionDays: 14, multiAZ: false, deletionProtection: true }));
    const { clients, calls } = recordingClients();
    const dp = createSdkProvider({ region: REGION, log: captureLog().log, clients: () => clients, clusterName: CLUSTER });
    const o = await dp.observe(changed, PASSWORD);
    // a resource being modified stays usable: its connection is kept while AWS applies the change
    expect(o.database).toMatchObject({ ready: true, converged: false, reason: 'AvailableNotConverged', message: expect.stringContaining('applying DBInstanceClass=db.t3.small') });
    expect(o.database!.connection).toBeDefined();
    const modify = calls.find((c) => c.command === 'ModifyDBInstanceCommand')!;
    expect(modify.input).toEqual({
      DBInstanceIdentifier: id,
      ApplyImmediately: true,
      DBInstanceClass: 'db.t3.small',
      AllocatedStorage: 50,
      BackupRetentionPeriod: 14,
      MultiAZ: false,
      DeletionProtection: true,
    });
    expect(await instance(id)).toMatchObject({ DBInstanceClass: 'db.t3.small', AllocatedStorage: 50, BackupRetentionPeriod: 14, MultiAZ: false, DeletionProtection: true });
    const { o: after } = await converge(dp, changed);
    expect(after.database!.ready).toBe(true);
    expect(calls.filter((c) => c.command === 'ModifyDBInstanceCommand')).toHaveLength(1);
  });

  it('puts the security groups back to only the spec’s', async () => {
    const p = sdkPlatform('pgsg', net, set('environment', 'dev'), withDatabase());
    await converge(provider(moto.endpoint), p);
    const wider = sdkPlatform('pgsg', net, set('environment', 'dev'), set('aws.securityGroupIds', [...net.securityGroupIds, net.otherSecurityGroupId]), withDatabase());
    await converge(provider(moto.endpoint), wider);
    expect((await instance(awsId('pgsg', 'db'))).VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId).sort()).toEqual([...net.securityGroupIds, net.otherSecurityGroupId].sort());
    await converge(provider(moto.endpoint), p);
    expect((await instance(awsId('pgsg', 'db'))).VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId)).toEqual(net.securityGroupIds);
  });

  it('is idempotent across a crash between create and status write: fresh providers find the instance again', async () => {
    const p = sdkPlatform('crash', net, withDatabase());
    await provider(moto.endpoint).observe(p, PASSWORD); // creates, then "crashes"
    await provider(moto.endpoint).observe(p, PASSWORD);
    await converge(provider(moto.endpoint), p);
    expect(await instanceIds('bkp-crash-')).toEqual([awsId('crash', 'db')]);
  });
});

describe('MySQL on RDS', () => {
  it('creates a MySQL 8 instance with storage autoscaling; the connection is MySQL’s', async () => {
    const p = sdkPlatform('my', net, withDatabase({ engine: 'mysql', version: '8.0', maxStorageGiB: 100, multiAZ: false }));
    const { o } = await converge(provider(moto.endpoint), p);
    expect(o.database!.connection).toMatchObject({ engine: 'mysql', port: 3306, name: 'booking', user: 'booking', password: PASSWORD });
    expect(await instance(awsId('my', 'db'))).toMatchObject({ Engine: 'mysql', EngineVersion: '8.0', MultiAZ: false, AllocatedStorage: 20 });
  });
});

describe('Aurora Serverless v2', () => {
  const aurora = (min: number, max: number) => withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: min, maxCapacity: max } });

  it('creates a cluster with the ACU range and db.serverless writer and reader, then connects to the cluster endpoint', async () => {
    const p = sdkPlatform('aur', net, aurora(0.5, 2));
    const { o } = await converge(provider(moto.endpoint), p);
    const id = awsId('aur', 'db');
    const c = await cluster(id);
    expect(c).toMatchObject({
      Engine: 'aurora-postgresql',
      DatabaseName: 'booking',
      MasterUsername: 'booking',
      StorageEncrypted: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      DBSubnetGroup: id,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
    });
    expect(c.VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId)).toEqual(net.securityGroupIds);
    expect(await instanceIds('bkp-aur-')).toEqual([`${id}-0`, `${id}-1`]);
    for (const iid of [`${id}-0`, `${id}-1`]) expect(await instance(iid)).toMatchObject({ DBInstanceClass: 'db.serverless', DBClusterIdentifier: id });
    expect(o.database!.connection).toEqual({ engine: 'aurora-postgresql', host: c.Endpoint, port: 5432, name: 'booking', user: 'booking', password: PASSWORD });
  });

  it('corrects an ACU range change with ModifyDBCluster', async () => {
    const p = sdkPlatform('aurdrift', net, aurora(0.5, 2));
    await converge(provider(moto.endpoint), p);
    const o = await provider(moto.endpoint).observe(sdkPlatform('aurdrift', net, aurora(1, 8)), PASSWORD);
    expect(o.database).toMatchObject({ ready: true, converged: false, message: `DBCluster ${awsId('aurdrift', 'db')} is usable; applying ServerlessV2ScalingConfiguration={"MinCapacity":1,"MaxCapacity":8}` });
    expect((await cluster(awsId('aurdrift', 'db'))).ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 1, MaxCapacity: 8 });
    const { o: after } = await converge(provider(moto.endpoint), sdkPlatform('aurdrift', net, aurora(1, 8)));
    expect(after.database!.ready).toBe(true);
  });

  it('is idempotent: fresh providers leave exactly one cluster and its two instances', async () => {
    const p = sdkPlatform('aurcrash', net, aurora(0.5, 2));
    await provider(moto.endpoint).observe(p, PASSWORD);
    await provider(moto.endpoint).observe(p, PASSWORD);
    await converge(provider(moto.endpoint), p);
    await converge(provider(moto.endpoint), p);
    expect(await clusterIds('bkp-aurcrash-')).toEqual([awsId('aurcrash', 'db')]);
    expect(await instanceIds('bkp-aurcrash-')).toEqual([awsId('aurcrash', 'db-0'), awsId('aurcrash', 'db-1')]);
  });

  it('deletionPolicy Snapshot: instances, then the protected cluster with a final cluster snapshot, then the subnet group', async () => {
    const p = sdkPlatform('aurdel', net, aurora(0.5, 2));
    await converge(provider(moto.endpoint), p);
    const { message } = await finalizeAll(provider(moto.endpoint), p);
    expect(message).toContain(`DBSubnetGroup ${awsId('aurdel', 'db')} deleted`);
    expect(await clusterIds('bkp-aurdel-')).toEqual([]);
    expect(await instanceIds('bkp-aurdel-')).toEqual([]);
    const snaps = await aws.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: finalSnapshotId(sdkPlatform('aurdel', net)) }));
    expect(snaps.DBClusterSnapshots!.map((s) => s.DBClusterIdentifier)).toEqual([awsId('aurdel', 'db')]);
  });
});

describe('database deletion policies', () => {
  it('Snapshot (default): turns deletion protection off, deletes with the final snapshot awsName(p, "db-final"), then the subnet group', async () => {
    const p = sdkPlatform('delsnap', net, withDatabase());
    await converge(provider(moto.endpoint), p);
    expect((await instance(awsId('delsnap', 'db'))).DeletionProtection).toBe(true);
    const dp = provider(moto.endpoint);
    const first = await finalizePass(dp, p);
    expect(first).toEqual({ done: false, message: `database: waiting for DBInstance ${awsId('delsnap', 'db')} to be deleted (final snapshot ${finalSnapshotId(p)})` });
    const { message } = await finalizeAll(dp, p);
    expect(message).toBe(`database: DBInstance ${awsId('delsnap', 'db')} deleted (final snapshot ${finalSnapshotId(p)}); DBSubnetGroup ${awsId('delsnap', 'db')} deleted`);
    expect(await instanceIds('bkp-delsnap-')).toEqual([]);
    const snap = await aws.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: finalSnapshotId(p) }));
    expect(snap.DBSnapshots!.map((s) => s.DBInstanceIdentifier)).toEqual([awsId('delsnap', 'db')]);
    await expect(aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: awsId('delsnap', 'db') }))).rejects.toMatchObject({ name: 'DBSubnetGroupNotFoundFault' });
  });

  it('Retain: leaves the instance (and its subnet group) alone', async () => {
    const p = sdkPlatform('delret', net, withDatabase({ deletionPolicy: 'Retain' }));
    await converge(provider(moto.endpoint), p);
    expect(await finalizePass(provider(moto.endpoint), p)).toEqual({ done: true, message: `database: DBInstance ${awsId('delret', 'db')} retained (deletionPolicy Retain): no longer managed` });
    expect(await instanceIds('bkp-delret-')).toEqual([awsId('delret', 'db')]);
  });

  it('Delete: deletes without a final snapshot', async () => {
    const p = sdkPlatform('deldel', net, withDatabase({ deletionPolicy: 'Delete' }));
    await converge(provider(moto.endpoint), p);
    await finalizeAll(provider(moto.endpoint), p);
    expect(await instanceIds('bkp-deldel-')).toEqual([]);
    const snaps = await aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: awsId('deldel', 'db'), SnapshotType: 'manual' }));
    expect(snaps.DBSnapshots ?? []).toEqual([]);
  });

  it('finalize of a platform whose database never came to exist is done at once', async () => {
    const p = sdkPlatform('never', net, withDatabase({ deletionPolicy: 'Delete' }));
    expect(await finalizePass(provider(moto.endpoint), p)).toMatchObject({ done: true });
  });
});
