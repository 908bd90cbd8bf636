/**
 * RDS through ACK: a DBSubnetGroup, then either a DBInstance (PostgreSQL, MySQL) or a DBCluster
 * with its instances (Aurora; `db.serverless` instances for Serverless v2). The master password
 * is only ever a reference to the Secret the operator generates, or (credentials mode `managed`)
 * not in the spec at all: RDS keeps it in Secrets Manager (`manageMasterUserPassword`).
 *
 * ACK's RDS controller skips the final snapshot unless told otherwise: for `Snapshot` we always
 * set the final snapshot annotations with a deterministic identifier.
 */
import type { Chart } from 'cdk8s';
import { deletionProtection, isAurora } from '../../api/platform.ts';
import type { BookingPlatform, DatabaseSpec } from '../../api/types.generated.ts';
import { awsName, databaseMasterSecretName, DEFAULT_CONTEXT, type RenderContext } from '../names.ts';
import { ACK, ACK_DELETION_POLICY, ackDeletionPolicy, ackObject, tagList } from './common.ts';

export const RDS_SKIP_FINAL_SNAPSHOT = 'rds.services.k8s.aws/skip-final-snapshot';
export const RDS_FINAL_SNAPSHOT_ID = 'rds.services.k8s.aws/final-db-snapshot-identifier';

// `ctx` defaults to DEFAULT_CONTEXT only for callers not yet given the operator's; new code passes it
/** DBInstance / DBCluster identifier: at most 63, a letter first, no `--`, no trailing hyphen. */
export const dbIdentifier = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'db', 63);
export const dbSubnetGroupName = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'db', 255);
export const finalSnapshotId = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'db-final', 255);

/** Credentials mode `managed`: RDS keeps the master password in Secrets Manager; no Kubernetes Secret holds it. */
export const rdsManagesPassword = (db: Pick<DatabaseSpec, 'credentials'> | undefined): boolean => db?.credentials?.mode === 'managed';

export function rds(chart: Chart, p: BookingPlatform, ctx: RenderContext, masterSecretName = databaseMasterSecretName(p)): void {
  const db = p.spec.database;
  const aws = p.spec.aws;
  if (!db || !aws) return;
  const annotations = deletionAnnotations(p, db, ctx);
  const common = {
    engine: db.engine,
    engineVersion: db.version,
    dbSubnetGroupName: dbSubnetGroupName(p, ctx),
    vpcSecurityGroupIDs: [...aws.securityGroupIds],
    storageEncrypted: true,
    backupRetentionPeriod: db.backupRetentionDays,
    deletionProtection: deletionProtection(db, p.spec.environment),
    copyTagsToSnapshot: true,
    masterUsername: db.username,
    ...(rdsManagesPassword(db) ? { manageMasterUserPassword: true } : { masterUserPassword: { namespace: p.metadata.namespace ?? 'default', name: masterSecretName, key: 'password' } }),
    tags: tagList(p, ctx),
  };

  ackObject(chart, p, {
    apiVersion: ACK.rds,
    kind: 'DBSubnetGroup',
    name: dbSubnetGroupName(p, ctx),
    component: 'database',
    annotations: { [ACK_DELETION_POLICY]: ackDeletionPolicy(db.deletionPolicy) },
    spec: { name: dbSubnetGroupName(p, ctx), description: `BookingPlatform ${p.metadata.namespace}/${p.metadata.name}`, subnetIDs: [...aws.subnetIds], tags: tagList(p, ctx) },
  });

  if (!isAurora(db)) {
    ackObject(chart, p, {
      apiVersion: ACK.rds,
      kind: 'DBInstance',
      name: dbIdentifier(p, ctx),
      component: 'database',
      annotations,
      spec: {
        ...common,
        dbInstanceIdentifier: dbIdentifier(p, ctx),
        dbInstanceClass: db.instanceClass,
        allocatedStorage: db.storageGiB,
        ...(db.maxStorageGiB ? { maxAllocatedStorage: db.maxStorageGiB } : {}),
        storageType: 'gp3',
        multiAZ: db.multiAZ,
        dbName: db.name,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
      },
    });
    return;
  }

  ackObject(chart, p, {
    apiVersion: ACK.rds,
    kind: 'DBCluster',
    name: dbIdentifier(p, ctx),
    component: 'database',
    annotations,
    spec: {
      ...common,
      dbClusterIdentifier: dbIdentifier(p, ctx),
      databaseName: db.name,
      ...(db.serverless ? { serverlessV2ScalingConfiguration: { minCapacity: db.serverless.minCapacity, maxCapacity: db.serverless.maxCapacity } } : {}),
    },
  });
  for (const id of auroraInstanceIds(p, ctx)) {
    ackObject(chart, p, {
      apiVersion: ACK.rds,
      kind: 'DBInstance',
      name: id,
      component: 'database',
      annotations: { [ACK_DELETION_POLICY]: ackDeletionPolicy(db.deletionPolicy) },
      spec: {
        dbInstanceIdentifier: id,
        dbClusterIdentifier: dbIdentifier(p, ctx),
        dbInstanceClass: db.serverless ? 'db.serverless' : db.instanceClass,
        engine: db.engine,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        tags: tagList(p, ctx),
      },
    });
  }
}

/** Aurora: a writer, plus a reader in another AZ when multiAZ. */
export function auroraInstanceIds(p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT): string[] {
  const n = p.spec.database?.multiAZ ? 2 : 1;
  return Array.from({ length: n }, (_, i) => awsName(p, ctx, `db-${i}`, 63));
}

function deletionAnnotations(p: BookingPlatform, db: DatabaseSpec, ctx: RenderContext): Record<string, string> {
  const base = { [ACK_DELETION_POLICY]: ackDeletionPolicy(db.deletionPolicy) };
  if (db.deletionPolicy !== 'Snapshot') return { ...base, [RDS_SKIP_FINAL_SNAPSHOT]: String(db.deletionPolicy === 'Delete') };
  return { ...base, [RDS_SKIP_FINAL_SNAPSHOT]: 'false', [RDS_FINAL_SNAPSHOT_ID]: finalSnapshotId(p, ctx) };
}
