/**
 * RDS through the SDK, the same resources and settings as the ACK renderer (render/ack/rds.ts):
 * a DB subnet group, then a DB instance (PostgreSQL, MySQL) or an Aurora cluster with its
 * instances (`db.serverless` for Serverless v2). Identifiers are deterministic, so every pass
 * describes before it creates and a lost create response never leaks a second database.
 *
 * The master password comes from the reconciler (generated once, kept in a Secret); it is sent
 * as MasterUserPassword and never logged. With credentials mode `managed` there is none to send:
 * the database is created with ManageMasterUserPassword, RDS keeps (and rotates) the password in
 * its own Secrets Manager secret, and every observe reads that secret's current value (its ARN from
 * the describe call's MasterUserSecret), so a rotated password reaches the connection Secret.
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
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  type ModifyDBClusterMessage,
  type ModifyDBInstanceMessage,
  type MasterUserSecret,
} from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { deletionProtection, isAurora, isPostgres } from '../api/platform.ts';
import type { BookingPlatform, DatabaseSpec } from '../api/types.generated.ts';
import { masterSecretPending, type MasterSecretRead, type MasterSecretReader } from '../data/ack.ts';
import { MasterSecretFormatError, parseMasterUserSecret, type MasterCredentials } from '../data/connection.ts';
import { notReady, ready, type DatabaseConnection, type ServiceState } from '../data/types.ts';
import { auroraInstanceIds, dbIdentifier, dbSubnetGroupName, rdsManagesPassword } from '../render/ack/rds.ts';
import { clientPool, type AwsClientOptions, type AwsClients } from './clients.ts';
import { classifyLifecycle, combine, correctDrift, description, lifecycle, lifecycleState, lost, notOwned, ownedBy, sameSet, tagList, type AwsContext, type Step } from './context.ts';
import { call, callOr, stateForError } from './errors.ts';
import { readSecret } from './secrets-manager.ts';

export type DatabaseState = ServiceState & { connection?: DatabaseConnection };

const NOT_FOUND_INSTANCE = ['DBInstanceNotFound'];
const NOT_FOUND_CLUSTER = ['DBClusterNotFound'];

export async function observeDatabase(ctx: AwsContext, p: BookingPlatform, password: string | undefined, existed = false): Promise<DatabaseState> {
  const db = p.spec.database!;
  const foreign = await ensureSubnetGroup(ctx, p);
  if (foreign) return foreign;
  return isAurora(db) ? observeCluster(ctx, p, db, password, existed) : observeInstance(ctx, p, db, password, existed);
}

/** Creates the subnet group if missing; a NotOwned state when the one there is another platform's (ours never goes into it). */
async function ensureSubnetGroup(ctx: AwsContext, p: BookingPlatform): Promise<ServiceState | undefined> {
  const name = dbSubnetGroupName(p, ctx.render);
  const found = await callOr(`DescribeDBSubnetGroups ${name}`, () => ctx.clients.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  const group = found?.DBSubnetGroups?.[0];
  if (group) {
    const tags = group.DBSubnetGroupArn
      ? (await call(`ListTagsForResource ${name}`, () => ctx.clients.rds.send(new ListTagsForResourceCommand({ ResourceName: group.DBSubnetGroupArn })))).TagList
      : undefined;
    return ownedBy(ctx, p, tags) ? undefined : notOwned(ctx, p, 'DBSubnetGroup', name, tags);
  }
  ctx.log.info({ kind: 'DBSubnetGroup', id: name }, 'creating AWS resource');
  await callOr(
    `CreateDBSubnetGroup ${name}`,
    () => ctx.clients.rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: description(p), SubnetIds: [...p.spec.aws!.subnetIds], Tags: tagList(ctx, p) })),
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

async function observeInstance(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec, password: string | undefined, existed: boolean): Promise<DatabaseState> {
  const aws = p.spec.aws!;
  const id = dbIdentifier(p, ctx.render);
  const inst = await describeInstance(ctx, id);
  if (inst && !ownedBy(ctx, p, inst.TagList)) return notOwned(ctx, p, 'DBInstance', id, inst.TagList);
  if (!inst) {
    if (existed) return lost('DBInstance', id, 'database');
    if (!password && !rdsManagesPassword(db)) return passwordPending();
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
            ...createArgs(ctx, p, db, aws.securityGroupIds, password),
            PubliclyAccessible: false,
            AutoMinorVersionUpgrade: true,
            Tags: tagList(ctx, p),
          }),
        ),
      ['DBInstanceAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `DBInstance ${id}: create requested (AWS status "${out?.DBInstance?.DBInstanceStatus ?? 'creating'}")`);
  }
  const status = lifecycle(ctx, 'DBInstance', id, inst.DBInstanceStatus);
  let state = lifecycleState('DBInstance', id, status);
  // no Modify while AWS is busy (it would be rejected or queued behind its work): a later pass, once available, sends it
  const changes = classifyLifecycle('DBInstance', status).modifiable ? instanceDrift(inst, db, p) : undefined;
  if (changes) {
    state = await correctDrift(ctx, state, { kind: 'DBInstance', id, action: 'ModifyDBInstance', fields: Object.keys(changes), what: describeChanges(changes) }, () =>
      ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ApplyImmediately: true, ...changes })),
    );
  }
  if (!state.ready) return state;
  const ep = inst.Endpoint;
  if (!ep?.Address || !ep.Port) return notReady('EndpointPending', `DBInstance ${id} has no endpoint yet`);
  const creds = await credentials(ctx, db, 'DBInstance', id, inst.MasterUserSecret, password);
  if ('reason' in creds) return creds;
  return { ...state, connection: { engine: db.engine, host: ep.Address, port: ep.Port, name: db.name, ...creds } };
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

async function observeCluster(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec, password: string | undefined, existed: boolean): Promise<DatabaseState> {
  const aws = p.spec.aws!;
  const id = dbIdentifier(p, ctx.render);
  const cluster = await describeCluster(ctx, id);
  if (cluster && !ownedBy(ctx, p, cluster.TagList)) return notOwned(ctx, p, 'DBCluster', id, cluster.TagList);
  if (!cluster) {
    if (existed) return lost('DBCluster', id, 'database');
    if (!password && !rdsManagesPassword(db)) return passwordPending();
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
            ...createArgs(ctx, p, db, aws.securityGroupIds, password),
            ...(db.serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: db.serverless.minCapacity, MaxCapacity: db.serverless.maxCapacity } } : {}),
            Tags: tagList(ctx, p),
          }),
        ),
      ['DBClusterAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `DBCluster ${id}: create requested (AWS status "${out?.DBCluster?.Status ?? 'creating'}")`);
  }
  const status = lifecycle(ctx, 'DBCluster', id, cluster.Status);
  let clusterState = lifecycleState('DBCluster', id, status);
  if (!clusterState.ready) return clusterState;
  // no Modify while AWS is busy: a later pass, once available, sends it
  const changes = classifyLifecycle('DBCluster', status).modifiable ? clusterDrift(cluster, db, p) : undefined;
  if (changes) {
    clusterState = await correctDrift(ctx, clusterState, { kind: 'DBCluster', id, action: 'ModifyDBCluster', fields: Object.keys(changes), what: describeChanges(changes) }, () =>
      ctx.clients.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, ApplyImmediately: true, ...changes })),
    );
  }

  // the writer, plus a reader when multiAZ; the cluster endpoint answers once one of them does
  const instanceClass = db.serverless ? 'db.serverless' : db.instanceClass;
  const waits: ServiceState[] = [];
  for (const iid of auroraInstanceIds(p, ctx.render)) {
    const inst = await describeInstance(ctx, iid);
    if (inst && !ownedBy(ctx, p, inst.TagList)) return notOwned(ctx, p, 'DBInstance', iid, inst.TagList);
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
              Tags: tagList(ctx, p),
            }),
          ),
        ['DBInstanceAlreadyExists'],
        undefined,
      );
      waits.push(notReady('Creating', `DBInstance ${iid}: create requested (AWS status "${out?.DBInstance?.DBInstanceStatus ?? 'creating'}")`));
      continue;
    }
    const st = lifecycle(ctx, 'DBInstance', iid, inst.DBInstanceStatus);
    let instState = lifecycleState('DBInstance', iid, st);
    if (classifyLifecycle('DBInstance', st).modifiable && (inst.PendingModifiedValues?.DBInstanceClass ?? inst.DBInstanceClass) !== instanceClass) {
      instState = await correctDrift(ctx, instState, { kind: 'DBInstance', id: iid, action: 'ModifyDBInstance', fields: ['DBInstanceClass'], what: `DBInstanceClass=${instanceClass}` }, () =>
        ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: iid, DBInstanceClass: instanceClass, ApplyImmediately: true })),
      );
    }
    waits.push(instState);
  }
  if (!waits.some((s) => s.ready)) return waits.find((s) => !s.ready)!;
  if (!cluster.Endpoint || !cluster.Port) return notReady('EndpointPending', `DBCluster ${id} has no endpoint yet`);
  const creds = await credentials(ctx, db, 'DBCluster', id, cluster.MasterUserSecret, password);
  if ('reason' in creds) return creds;
  return {
    ...combine([clusterState, ...waits], ready(`DBCluster ${id} is available`)),
    connection: { engine: db.engine, host: cluster.Endpoint, port: cluster.Port ?? defaultPort(db), name: db.name, ...creds },
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

/**
 * The master credentials for the connection: the generated password the reconciler passed, or
 * (mode managed) the current value of RDS's secret, read on every observe so a rotation is followed.
 */
async function credentials(ctx: AwsContext, db: DatabaseSpec, kind: 'DBInstance' | 'DBCluster', id: string, secret: MasterUserSecret | undefined, password: string | undefined): Promise<MasterCredentials | ServiceState> {
  if (!rdsManagesPassword(db)) return password ? { user: db.username, password } : passwordPending();
  if (!secret?.SecretArn) return masterSecretPending(kind, id);
  const read = await readMasterUserSecret(ctx.clients.secretsManager, secret.SecretArn);
  return 'state' in read ? read.state : read.credentials;
}

/**
 * Reads RDS's secret for a managed master password at AWSCURRENT (`{"username", "password"}`).
 * AWS failures come back as the database's state (transient ones are looked at again), as does a
 * secret that is not what RDS writes; the value itself is never in a message.
 */
export async function readMasterUserSecret(client: SecretsManagerClient, secretArn: string): Promise<MasterSecretRead> {
  try {
    const { value } = await call(`GetSecretValue ${secretArn}`, () => readSecret(client, secretArn));
    return { credentials: parseMasterUserSecret(secretArn, value) };
  } catch (err) {
    if (err instanceof MasterSecretFormatError) return { state: notReady('MasterSecretUnreadable', err.message) };
    return { state: stateForError(err) };
  }
}

/**
 * The ack provider's reader of RDS's managed secrets, with the operator's AWS settings: the
 * secret's region is the one in its ARN (the database's).
 */
export function masterUserSecretReader(base: Omit<AwsClientOptions, 'region'>, fallbackRegion: string, clients: (region: string) => AwsClients = clientPool(base)): MasterSecretReader {
  return (secretArn) => readMasterUserSecret(clients(/^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1] ?? fallbackRegion).secretsManager, secretArn);
}

function describeChanges(c: Record<string, unknown>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/**
 * The database's deletion policy: Snapshot (delete with the final snapshot `finalSnapshot`, chosen
 * once per removal by the caller so it is unique), Retain (leave it, report what stays), Delete
 * (delete, no final snapshot). The owner's delete is explicit intent: deletion protection, which
 * guards against everyone else, is lifted first. The subnet group goes after the database.
 */
export async function finalizeDatabase(ctx: AwsContext, p: BookingPlatform, finalSnapshot?: string): Promise<Step> {
  const db = p.spec.database!;
  const kind = isAurora(db) ? 'DBCluster' : 'DBInstance';
  if (db.deletionPolicy === 'Retain') {
    const found = isAurora(db) ? await describeCluster(ctx, dbIdentifier(p, ctx.render)) : await describeInstance(ctx, dbIdentifier(p, ctx.render));
    if (!found) return { done: true, message: `${kind} ${dbIdentifier(p, ctx.render)} does not exist: nothing to retain` };
    // mode managed: the credential is RDS's secret, which stays with the database (no Kubernetes Secret is kept)
    const credential = rdsManagesPassword(db) && found.MasterUserSecret?.SecretArn ? `; its master password stays in the Secrets Manager secret RDS manages for it (${found.MasterUserSecret.SecretArn})` : '';
    return { done: true, message: `${kind} ${dbIdentifier(p, ctx.render)} retained (deletionPolicy Retain): no longer managed${credential}`, left: `${kind} ${dbIdentifier(p, ctx.render)}` };
  }
  if (db.deletionPolicy === 'Snapshot' && !finalSnapshot) throw new Error('deletionPolicy Snapshot needs a final snapshot identifier');
  const snap = db.deletionPolicy === 'Snapshot' ? finalSnapshot : undefined;
  const step = isAurora(db) ? await deleteCluster(ctx, p, snap) : await deleteInstance(ctx, p, snap);
  if (!step.done || step.foreign) return { done: step.done, message: step.message };
  // RDS deletes its managed secret with the database: a restored snapshot needs a new master password
  const done = await deleteSubnetGroup(ctx, p, rdsManagesPassword(db) ? `${step.message}; RDS deleted its master user secret with it` : step.message);
  return snap ? { ...done, left: `${isAurora(db) ? 'DBClusterSnapshot' : 'DBSnapshot'} ${snap}` } : done;
}

/** `foreign`: the resource exists but is not this platform's (its subnet group stays too). */
type DeleteStep = Step & { foreign?: boolean };

async function deleteInstance(ctx: AwsContext, p: BookingPlatform, snapshot: string | undefined): Promise<DeleteStep> {
  const id = dbIdentifier(p, ctx.render);
  const inst = await describeInstance(ctx, id);
  if (!inst) return { done: true, message: `DBInstance ${id} deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
  if (!ownedBy(ctx, p, inst.TagList)) return { done: true, foreign: true, message: `DBInstance ${id} is not tagged as this platform's: left alone` };
  if (inst.DBInstanceStatus === 'deleting') return { done: false, message: `waiting for DBInstance ${id} to be deleted (AWS status "deleting")` };
  if (inst.DeletionProtection) {
    ctx.log.info({ kind: 'DBInstance', id }, 'turning off deletion protection');
    await call(`ModifyDBInstance ${id}`, () => ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true })));
  }
  ctx.log.info({ kind: 'DBInstance', id, finalSnapshot: snapshot ?? null }, 'deleting AWS resource');
  await callOr(
    `DeleteDBInstance ${id}`,
    () => ctx.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, ...snapshotArgs(snapshot) })),
    NOT_FOUND_INSTANCE,
    undefined,
  );
  return { done: false, message: `waiting for DBInstance ${id} to be deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
}

async function deleteCluster(ctx: AwsContext, p: BookingPlatform, snapshot: string | undefined): Promise<DeleteStep> {
  const id = dbIdentifier(p, ctx.render);
  const cluster = await describeCluster(ctx, id);
  if (!cluster) return { done: true, message: `DBCluster ${id} deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
  if (!ownedBy(ctx, p, cluster.TagList)) return { done: true, foreign: true, message: `DBCluster ${id} is not tagged as this platform's: left alone` };
  if (cluster.Status === 'deleting') return { done: false, message: `waiting for DBCluster ${id} to be deleted (AWS status "deleting")` };
  // instances first: a cluster with members cannot be deleted
  const members = [...new Set([...(cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? ''), ...auroraInstanceIds(p, ctx.render)])].filter(Boolean);
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
  ctx.log.info({ kind: 'DBCluster', id, finalSnapshot: snapshot ?? null }, 'deleting AWS resource');
  await callOr(
    `DeleteDBCluster ${id}`,
    () => ctx.clients.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, ...snapshotArgs(snapshot) })),
    NOT_FOUND_CLUSTER,
    undefined,
  );
  return { done: false, message: `waiting for DBCluster ${id} to be deleted${snapshot ? ` (final snapshot ${snapshot})` : ''}` };
}

/** Sets a newly generated master password on the existing database, before anything reads it. */
export async function rotateMasterPassword(ctx: AwsContext, p: BookingPlatform, password: string): Promise<Step> {
  const db = p.spec.database!;
  const id = dbIdentifier(p, ctx.render);
  // never reached in mode managed (there is no generated password to set); RDS owns that password
  if (rdsManagesPassword(db)) return { done: true, message: `${id}: RDS manages the master password (credentials mode managed): nothing to set` };
  const found = isAurora(db) ? await describeCluster(ctx, id) : await describeInstance(ctx, id);
  if (!found) return { done: true, message: `no database ${id} yet: it is created with the new password` };
  if (!ownedBy(ctx, p, found.TagList)) return { done: false, message: `${id} is not tagged as this platform's: its password is not changed` };
  ctx.log.info({ kind: isAurora(db) ? 'DBCluster' : 'DBInstance', id }, 'setting the regenerated master password');
  if (isAurora(db)) await call(`ModifyDBCluster ${id}`, () => ctx.clients.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, MasterUserPassword: password, ApplyImmediately: true })));
  else await call(`ModifyDBInstance ${id}`, () => ctx.clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, MasterUserPassword: password, ApplyImmediately: true })));
  return { done: true, message: `the master password of ${id} was reset to the regenerated one` };
}

/** What a DBInstance and a DBCluster are created with alike: network, encryption, backups, credentials. */
function createArgs(ctx: AwsContext, p: BookingPlatform, db: DatabaseSpec, securityGroupIds: string[], password: string | undefined) {
  return {
    DBSubnetGroupName: dbSubnetGroupName(p, ctx.render),
    VpcSecurityGroupIds: [...securityGroupIds],
    StorageEncrypted: true,
    BackupRetentionPeriod: db.backupRetentionDays,
    DeletionProtection: deletionProtection(db, p.spec.environment),
    CopyTagsToSnapshot: true,
    MasterUsername: db.username,
    // mode managed: RDS generates the password into its own Secrets Manager secret
    ...(rdsManagesPassword(db) ? { ManageMasterUserPassword: true } : { MasterUserPassword: password }),
  };
}

/** Delete arguments: a final snapshot when one is named, none otherwise. */
function snapshotArgs(snapshot: string | undefined): { FinalDBSnapshotIdentifier?: string; SkipFinalSnapshot: boolean } {
  return snapshot ? { FinalDBSnapshotIdentifier: snapshot, SkipFinalSnapshot: false } : { SkipFinalSnapshot: true };
}

async function deleteSubnetGroup(ctx: AwsContext, p: BookingPlatform, before: string): Promise<Step> {
  const name = dbSubnetGroupName(p, ctx.render);
  const found = await callOr(`DescribeDBSubnetGroups ${name}`, () => ctx.clients.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  if (found?.DBSubnetGroups?.length) {
    ctx.log.info({ kind: 'DBSubnetGroup', id: name }, 'deleting AWS resource');
    await callOr(`DeleteDBSubnetGroup ${name}`, () => ctx.clients.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: name })), ['DBSubnetGroupNotFound'], undefined);
  }
  return { done: true, message: `${before}; DBSubnetGroup ${name} deleted` };
}
