/**
 * RDS through the SDK, the same resources and settings as the ACK renderer (render/ack/rds.ts):
 * a DB subnet group, then a DB instance (PostgreSQL, MySQL) or an Aurora cluster with its
 * instances (`db.serverless` for Serverless v2). Identifiers are deterministic, so every pass
 * describes before it creates and a lost create response never leaks a second database.
 *
 * The master password comes from the reconciler (generated once, kept in a Secret); it is sent
 * as MasterUserPassword and never logged.
 */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  type ModifyDBClusterMessage,
  type ModifyDBInstanceMessage,
} from '@aws-sdk/client-rds';
import { deletionProtection, isAurora, isPostgres } from '../api/platform.ts';
import type { BookingPlatform, DatabaseSpec } from '../api/types.generated.ts';
import { notReady, ready, type DatabaseConnection, type ServiceState } from '../data/types.ts';
import { auroraInstanceIds, dbIdentifier, dbSubnetGroupName, finalSnapshotId } from '../render/ack/rds.ts';
import { description, lifecycle, lifecycleState, ownedBy, sameSet, tagList, type AwsContext, type Step } from './context.ts';
import { call, callOr } from './errors.ts';

export type DatabaseState = ServiceState & { connection?: DatabaseConnection };

const NOT_FOUND_INSTANCE = ['DBInstanceNotFound'];
const NOT_FOUND_CLUSTER = ['DBClusterNotFound'];

export async function observeDatabase(ctx: AwsContext, p: BookingPlatform, password: string | undefined): Promise<DatabaseState> {
  const db = p.spec.database!;
  await ensureSubnetGroup(ctx, p);
  return isAurora(db) ? observeCluster(ctx, p, db, password) : observeInstance(ctx, p, db, password);
}

async function ensureSubnetGroup(ctx: AwsContext, p: BookingPlatform): Promise<void> {
  const name = dbSubnetGroupName(p);
  const found = await callOr(`DescribeDBSubnetGroups ${name}`, () => ctx.clients.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  if (found?.DBSubnetGroups?.length) return;
  ctx.log.info({ kind: 'DBSubnetGroup', id: name }, 'creating AWS resource');
  await callOr(
    `CreateDBSubnetGroup ${name}`,
    () => ctx.clients.rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: description(p), SubnetIds: [...p.spec.aws!.subnetIds], Tags: tagList(p) })),
    ['DBSubnetGroupAlreadyExists'],
    undefined,
  );
}

export async function describeInstance(ctx: AwsContext, id: string): Promise<DBInstance | undefined> {
  const out = await callOr(`DescribeDBInstances ${id}`, () => ctx.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })), NOT_FOUND_INSTANCE, undefined);
  return out?.DBInstances?.[0];
}

export async function describeCluster(ctx: AwsContext, id: string): Promise<DBCluster | undefined> {
  const out = await callOr(`DescribeDBClusters ${id}`, () => ctx.clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })), NOT_FOUND_CLUSTER, undefined);
  return out?.DBClusters?.[0];
}

const passwordPending = () => notReady('PasswordPending', 'the master password Secret is not there yet');
const defaultPort = (db: DatabaseSpec) => (isPostgres(db) ? 5432 : 3306);

async function observeInstance(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec, password: string | undefined): Promise<DatabaseState> {
  const aws = p.spec.aws!;
  const id = dbIdentifier(p);
  const inst = await describeInstance(ctx, id);
  if (!inst) {
    if (!password) return passwordPending();
    ctx.log.info({ kind: 'DBInstance', id, engine: db.engine, instanceClass: db.instanceClass }, 'creating AWS resource');
    const out = await callOr(
      `CreateDBInstance ${id}`,
      () =>
        ctx.clients.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: id,
            Engine: db.engine,
            EngineVersion: db.version,
            DBInstanceClass: db.instanceClass,
            AllocatedStorage: db.storageGiB,
            ...(db.maxStorageGiB ? { MaxAllocatedStorage: db.maxStorageGiB } : {}),
            StorageType: 'gp3',
            MultiAZ: db.multiAZ,
            DBName: db.name,
            ...createArgs(p, db, aws.securityGroupIds, password),
            PubliclyAccessible: false,
            AutoMinorVersionUpgrade: true,
            Tags: tagList(p),
          }),
        ),
      ['DBInstanceAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `DBInstance ${id}: create requested (AWS status "${out?.DBInstance?.DBInstanceStatus ?? 'creating'}")`);
  }
  const status = lifecycle(ctx, 'DBInstance', id, inst.DBInstanceStatus);
  if (status !== 'available') return lifecycleState('DBInstance', id, status);

  const changes = instanceDrift(inst, db, p);
  if (changes) {
    ctx.log.info({ kind: 'DBInstance', id, fields: Object.keys(changes) }, 'correcting drift');
    await call(`ModifyDBInstance ${id}`, () => ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ApplyImmediately: true, ...changes })));
    return notReady('Modifying', `DBInstance ${id}: applying ${describeChanges(changes)}`);
  }
  const ep = inst.Endpoint;
  if (!ep?.Address || !ep.Port) return notReady('EndpointPending', `DBInstance ${id} has no endpoint yet`);
  if (!password) return passwordPending();
  return { ...ready(`DBInstance ${id} is available`), connection: { engine: db.engine, host: ep.Address, port: ep.Port, name: db.name, user: db.username, password } };
}

/** Spec-owned fields that differ from what AWS reports (pending values count as applied). */
export function instanceDrift(inst: DBInstance, db: DatabaseSpec, p: BookingPlatform): Partial<ModifyDBInstanceMessage> | undefined {
  const pending = inst.PendingModifiedValues ?? {};
  const c: Partial<ModifyDBInstanceMessage> = {};
  if ((pending.DBInstanceClass ?? inst.DBInstanceClass) !== db.instanceClass) c.DBInstanceClass = db.instanceClass;
  // storage only grows (autoscaling may have grown it past the spec; AWS cannot shrink it)
  if ((pending.AllocatedStorage ?? inst.AllocatedStorage ?? 0) < db.storageGiB) c.AllocatedStorage = db.storageGiB;
  if (db.maxStorageGiB !== undefined && inst.MaxAllocatedStorage !== db.maxStorageGiB) c.MaxAllocatedStorage = db.maxStorageGiB;
  if ((pending.BackupRetentionPeriod ?? inst.BackupRetentionPeriod) !== db.backupRetentionDays) c.BackupRetentionPeriod = db.backupRetentionDays;
  if ((pending.MultiAZ ?? inst.MultiAZ) !== db.multiAZ) c.MultiAZ = db.multiAZ;
  const dp = deletionProtection(db, p.spec.environment);
  if (inst.DeletionProtection !== dp) c.DeletionProtection = dp;
  const sgs = (inst.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '');
  if (!sameSet(sgs, p.spec.aws!.securityGroupIds)) c.VpcSecurityGroupIds = [...p.spec.aws!.securityGroupIds];
  return Object.keys(c).length ? c : undefined;
}

async function observeCluster(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec, password: string | undefined): Promise<DatabaseState> {
  const aws = p.spec.aws!;
  const id = dbIdentifier(p);
  const cluster = await describeCluster(ctx, id);
  if (!cluster) {
    if (!password) return passwordPending();
    ctx.log.info({ kind: 'DBCluster', id, engine: db.engine, serverless: db.serverless }, 'creating AWS resource');
    const out = await callOr(
      `CreateDBCluster ${id}`,
      () =>
        ctx.clients.rds.send(
          new CreateDBClusterCommand({
            DBClusterIdentifier: id,
            Engine: db.engine,
            EngineVersion: db.version,
            DatabaseName: db.name,
            ...createArgs(p, db, aws.securityGroupIds, password),
            ...(db.serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: db.serverless.minCapacity, MaxCapacity: db.serverless.maxCapacity } } : {}),
            Tags: tagList(p),
          }),
        ),
      ['DBClusterAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `DBCluster ${id}: create requested (AWS status "${out?.DBCluster?.Status ?? 'creating'}")`);
  }
  const status = lifecycle(ctx, 'DBCluster', id, cluster.Status);
  if (status !== 'available') return lifecycleState('DBCluster', id, status);

  const changes = clusterDrift(cluster, db, p);
  if (changes) {
    ctx.log.info({ kind: 'DBCluster', id, fields: Object.keys(changes) }, 'correcting drift');
    await call(`ModifyDBCluster ${id}`, () => ctx.clients.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, ApplyImmediately: true, ...changes })));
    return notReady('Modifying', `DBCluster ${id}: applying ${describeChanges(changes)}`);
  }

  // the writer, plus a reader when multiAZ
  const instanceClass = db.serverless ? 'db.serverless' : db.instanceClass;
  const waits: ServiceState[] = [];
  for (const iid of auroraInstanceIds(p)) {
    const inst = await describeInstance(ctx, iid);
    if (!inst) {
      ctx.log.info({ kind: 'DBInstance', id: iid, cluster: id, instanceClass }, 'creating AWS resource');
      const out = await callOr(
        `CreateDBInstance ${iid}`,
        () =>
          ctx.clients.rds.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: iid,
              DBClusterIdentifier: id,
              DBInstanceClass: instanceClass,
              Engine: db.engine,
              PubliclyAccessible: false,
              AutoMinorVersionUpgrade: true,
              Tags: tagList(p),
            }),
          ),
        ['DBInstanceAlreadyExists'],
        undefined,
      );
      waits.push(notReady('Creating', `DBInstance ${iid}: create requested (AWS status "${out?.DBInstance?.DBInstanceStatus ?? 'creating'}")`));
      continue;
    }
    const st = lifecycle(ctx, 'DBInstance', iid, inst.DBInstanceStatus);
    if (st !== 'available') {
      waits.push(lifecycleState('DBInstance', iid, st));
      continue;
    }
    if ((inst.PendingModifiedValues?.DBInstanceClass ?? inst.DBInstanceClass) !== instanceClass) {
      ctx.log.info({ kind: 'DBInstance', id: iid, fields: ['DBInstanceClass'] }, 'correcting drift');
      await call(`ModifyDBInstance ${iid}`, () => ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: iid, DBInstanceClass: instanceClass, ApplyImmediately: true })));
      waits.push(notReady('Modifying', `DBInstance ${iid}: applying DBInstanceClass=${instanceClass}`));
    }
  }
  if (waits.length) return waits[0]!;
  if (!cluster.Endpoint || !cluster.Port) return notReady('EndpointPending', `DBCluster ${id} has no endpoint yet`);
  if (!password) return passwordPending();
  return {
    ...ready(`DBCluster ${id} is available`),
    connection: { engine: db.engine, host: cluster.Endpoint, port: cluster.Port ?? defaultPort(db), name: db.name, user: db.username, password },
  };
}

export function clusterDrift(cluster: DBCluster, db: DatabaseSpec, p: BookingPlatform): Partial<ModifyDBClusterMessage> | undefined {
  const c: Partial<ModifyDBClusterMessage> = {};
  if ((cluster.PendingModifiedValues?.BackupRetentionPeriod ?? cluster.BackupRetentionPeriod) !== db.backupRetentionDays) c.BackupRetentionPeriod = db.backupRetentionDays;
  const dp = deletionProtection(db, p.spec.environment);
  if (cluster.DeletionProtection !== dp) c.DeletionProtection = dp;
  const sv2 = cluster.ServerlessV2ScalingConfiguration;
  if (db.serverless && (sv2?.MinCapacity !== db.serverless.minCapacity || sv2?.MaxCapacity !== db.serverless.maxCapacity)) {
    c.ServerlessV2ScalingConfiguration = { MinCapacity: db.serverless.minCapacity, MaxCapacity: db.serverless.maxCapacity };
  }
  const sgs = (cluster.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '');
  if (!sameSet(sgs, p.spec.aws!.securityGroupIds)) c.VpcSecurityGroupIds = [...p.spec.aws!.securityGroupIds];
  return Object.keys(c).length ? c : undefined;
}

function describeChanges(c: Record<string, unknown>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/**
 * The database's deletion policy: Snapshot (delete with a final snapshot `awsName(p,'db-final')`),
 * Retain (leave it), Delete (delete, no final snapshot). Deletion protection is turned off first.
 * The subnet group goes after the database.
 */
export async function finalizeDatabase(ctx: AwsContext, p: BookingPlatform): Promise<Step> {
  const db = p.spec.database!;
  if (db.deletionPolicy === 'Retain') return { done: true, message: 'database retained (deletionPolicy Retain)' };
  const step = isAurora(db) ? await deleteCluster(ctx, p, db) : await deleteInstance(ctx, p, db);
  if (!step.done || step.foreign) return { done: step.done, message: step.message };
  return deleteSubnetGroup(ctx, p, step.message);
}

/** `foreign`: the resource exists but is not this platform's (its subnet group stays too). */
type DeleteStep = Step & { foreign?: boolean };

async function deleteInstance(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec): Promise<DeleteStep> {
  const id = dbIdentifier(p);
  const inst = await describeInstance(ctx, id);
  if (!inst) return { done: true, message: `DBInstance ${id} deleted` };
  if (!ownedBy(p, inst.TagList)) return { done: true, foreign: true, message: `DBInstance ${id} is not tagged as this platform's: left alone` };
  if (inst.DBInstanceStatus === 'deleting') return { done: false, message: `waiting for DBInstance ${id} to be deleted (AWS status "deleting")` };
  if (inst.DeletionProtection) {
    ctx.log.info({ kind: 'DBInstance', id }, 'turning off deletion protection');
    await call(`ModifyDBInstance ${id}`, () => ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true })));
  }
  const { snapshot, args } = finalSnapshot(p, db);
  ctx.log.info({ kind: 'DBInstance', id, finalSnapshot: snapshot ?? null }, 'deleting AWS resource');
  await callOr(
    `DeleteDBInstance ${id}`,
    () => ctx.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, ...args })),
    NOT_FOUND_INSTANCE,
    undefined,
  );
  return { done: false, message: `waiting for DBInstance ${id} to be deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
}

async function deleteCluster(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec): Promise<DeleteStep> {
  const id = dbIdentifier(p);
  const cluster = await describeCluster(ctx, id);
  if (!cluster) return { done: true, message: `DBCluster ${id} deleted` };
  if (!ownedBy(p, cluster.TagList)) return { done: true, foreign: true, message: `DBCluster ${id} is not tagged as this platform's: left alone` };
  if (cluster.Status === 'deleting') return { done: false, message: `waiting for DBCluster ${id} to be deleted (AWS status "deleting")` };
  // instances first: a cluster with members cannot be deleted
  const members = [...new Set([...(cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? ''), ...auroraInstanceIds(p)])].filter(Boolean);
  const remaining: string[] = [];
  for (const iid of members) {
    const inst = await describeInstance(ctx, iid);
    if (!inst) continue;
    remaining.push(iid);
    if (inst.DBInstanceStatus === 'deleting') continue;
    ctx.log.info({ kind: 'DBInstance', id: iid }, 'deleting AWS resource');
    await callOr(`DeleteDBInstance ${iid}`, () => ctx.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: iid, SkipFinalSnapshot: true })), NOT_FOUND_INSTANCE, undefined);
  }
  if (remaining.length) return { done: false, message: `waiting for the Aurora instance(s) ${remaining.join(', ')} to be deleted` };
  if (cluster.DeletionProtection) {
    ctx.log.info({ kind: 'DBCluster', id }, 'turning off deletion protection');
    await call(`ModifyDBCluster ${id}`, () => ctx.clients.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, DeletionProtection: false, ApplyImmediately: true })));
  }
  const { snapshot, args } = finalSnapshot(p, db);
  ctx.log.info({ kind: 'DBCluster', id, finalSnapshot: snapshot ?? null }, 'deleting AWS resource');
  await callOr(
    `DeleteDBCluster ${id}`,
    () => ctx.clients.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, ...args })),
    NOT_FOUND_CLUSTER,
    undefined,
  );
  return { done: false, message: `waiting for DBCluster ${id} to be deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
}

/** What a DBInstance and a DBCluster are created with alike: network, encryption, backups, credentials. */
function createArgs(p: BookingPlatform, db: DatabaseSpec, securityGroupIds: string[], password: string) {
  return {
    DBSubnetGroupName: dbSubnetGroupName(p),
    VpcSecurityGroupIds: [...securityGroupIds],
    StorageEncrypted: true,
    BackupRetentionPeriod: db.backupRetentionDays,
    DeletionProtection: deletionProtection(db, p.spec.environment),
    CopyTagsToSnapshot: true,
    MasterUsername: db.username,
    MasterUserPassword: password,
  };
}

/** Delete arguments for the policy: a final snapshot with a deterministic name unless `Delete`. */
function finalSnapshot(p: BookingPlatform, db: DatabaseSpec): { snapshot?: string; args: { FinalDBSnapshotIdentifier?: string; SkipFinalSnapshot: boolean } } {
  if (db.deletionPolicy !== 'Snapshot') return { args: { SkipFinalSnapshot: true } };
  const snapshot = finalSnapshotId(p);
  return { snapshot, args: { FinalDBSnapshotIdentifier: snapshot, SkipFinalSnapshot: false } };
}

async function deleteSubnetGroup(ctx: AwsContext, p: BookingPlatform, before: string): Promise<Step> {
  const name = dbSubnetGroupName(p);
  const found = await callOr(`DescribeDBSubnetGroups ${name}`, () => ctx.clients.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  if (found?.DBSubnetGroups?.length) {
    ctx.log.info({ kind: 'DBSubnetGroup', id: name }, 'deleting AWS resource');
    await callOr(`DeleteDBSubnetGroup ${name}`, () => ctx.clients.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  }
  return { done: true, message: `${before}; DBSubnetGroup ${name} deleted` };
}
