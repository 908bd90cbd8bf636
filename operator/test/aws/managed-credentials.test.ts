/**
 * Credentials mode `managed` through the sdk provider against a private moto_server: RDS is asked
 * to manage the master password (ManageMasterUserPassword, no MasterUserPassword), the provider
 * reads RDS's Secrets Manager secret (its ARN from the describe call) into the connection, follows
 * a rotation, and deletion follows the policy (RDS deletes its secret with the database; Retain
 * keeps both).
 *
 * moto 5.2.1 implements this for instances and clusters (moto/rds/models.py `MasterUserSecret`:
 * a `rds!db-…` / `rds!cluster-…` secret created with the database, deleted with it). Its secret
 * holds `{"username": "admin", "password": "P@55w0rd!"}` whatever the master user name — so the
 * connection's user is asserted to be the secret's, which is what RDS keeps. moto's RotateSecret
 * (and ModifyDBInstance RotateMasterUserPassword, which calls it) without a rotation Lambda moves
 * AWSCURRENT to a new version that has no value (GetSecretValue then answers
 * ResourceNotFoundException), so a rotation is made here by its outcome: PutSecretValue, a new
 * version that becomes AWSCURRENT.
 */
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import type { AwsClients } from '../../src/aws/clients.ts';
import { createSdkProvider } from '../../src/aws/provider.ts';
import { masterUserSecretReader, readMasterUserSecret } from '../../src/aws/rds.ts';
import type { DataObservation, DataServices } from '../../src/data/types.ts';
import { set, withDatabase } from '../fixtures/platform.ts';
import { awsId, captureLog, CLUSTER, CREDENTIALS, finalizeAll, motoClients, REGION, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

let moto: Moto;
let aws: AwsClients;
let net: Network;

useMoto((env) => ({ moto, aws, net } = env));

const managed = (db: Record<string, unknown> = {}) => withDatabase({ credentials: { mode: 'managed' }, multiAZ: false, ...db });
const currentValue = async (arn: string) => JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
const secretGone = async (arn: string) =>
  aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn })).then(
    () => false,
    (err: Error) => err.name === 'ResourceNotFoundException',
  );

/** Records the input of every RDS and Secrets Manager call the provider makes. */
function recordingProvider() {
  const c = motoClients(moto.endpoint);
  const calls: Array<{ command: string; input: any }> = [];
  for (const client of [c.rds, c.secretsManager] as const) {
    (client.middlewareStack as any).add((next: any, context: any) => async (args: any) => {
      calls.push({ command: String(context.commandName), input: args.input });
      return next(args);
    }, { step: 'initialize', name: 'recordCalls' });
  }
  const { log, lines } = captureLog();
  const dp = createSdkProvider({ region: REGION, log, clients: () => c, clusterName: CLUSTER });
  return { dp, calls, lines };
}

/** Observes without a generated password until the database is usable (at most `max` passes). */
async function converge(dp: DataServices, p: BookingPlatform, max = 6): Promise<DataObservation> {
  let o: DataObservation = {};
  for (let pass = 1; pass <= max; pass++) {
    o = await dp.observe(p, undefined);
    if (o.database?.ready) return o;
    if (o.database?.terminal) throw new Error(`terminal: ${JSON.stringify(o.database)}`);
  }
  throw new Error(`not ready after ${max} passes: ${JSON.stringify(o.database)}`);
}

/** A rotation's outcome: a new version of the secret becomes AWSCURRENT (PutSecretValue's default staging). */
async function rotate(arn: string, value: Record<string, string>): Promise<void> {
  const before = (await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).VersionId;
  const put = await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(value) }));
  expect((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).VersionId).toBe(put.VersionId);
  expect(put.VersionId).not.toBe(before);
}

describe('PostgreSQL on RDS with a managed master password', () => {
  const p = () => sdkPlatform('mpg', net, set('environment', 'staging'), managed({ deletionPolicy: 'Snapshot' }));
  const id = () => awsId('mpg', 'db');
  let arn = '';

  it('creates the instance with ManageMasterUserPassword and no password, then reads RDS’s secret into the connection', async () => {
    const { dp, calls, lines } = recordingProvider();
    const first = await dp.observe(p(), undefined);
    expect(first.database).toMatchObject({ ready: false, reason: 'Creating' });
    const create = calls.filter((c) => c.command === 'CreateDBInstanceCommand');
    expect(create).toHaveLength(1);
    expect(create[0]!.input).toMatchObject({ ManageMasterUserPassword: true, MasterUsername: 'booking' });
    expect(create[0]!.input).not.toHaveProperty('MasterUserPassword');

    const o = await converge(dp, p());
    const inst = (await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id() }))).DBInstances![0]!;
    arn = inst.MasterUserSecret!.SecretArn!;
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!db-/);
    const value = await currentValue(arn);
    expect(o.database!.connection).toEqual({ engine: 'postgres', host: inst.Endpoint!.Address, port: 5432, name: 'booking', user: value.username, password: value.password });
    expect(calls.filter((c) => c.command === 'GetSecretValueCommand').map((c) => c.input.SecretId)).toEqual([arn]);
    // the value never reaches a log line (the ARN may)
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(value.password);
  });

  it('follows a rotation: the next observe carries the new AWSCURRENT value', async () => {
    expect(arn, 'the create test ran').not.toBe('');
    const { dp, calls, lines } = recordingProvider();
    const NEW = 'Rotated-by-RDS-7c1e9f0a2b';
    await rotate(arn, { username: 'booking', password: NEW });
    const o = await dp.observe(p(), undefined);
    expect(o.database).toMatchObject({ ready: true });
    expect(o.database!.connection).toMatchObject({ user: 'booking', password: NEW });
    // nothing was set on the database: RDS owns the password
    expect(calls.filter((c) => /^Modify/.test(c.command))).toEqual([]);
    expect(lines.join('\n')).not.toContain(NEW);
  });

  it('a secret that is not what RDS writes is reported by name, never quoted', async () => {
    const { dp } = recordingProvider();
    const BAD = 'not-json-Secret-Value-5d2a';
    await rotate(arn, { password: BAD });
    const o = await dp.observe(p(), undefined);
    expect(o.database).toMatchObject({ ready: false, reason: 'MasterSecretUnreadable', message: expect.stringContaining(arn) });
    expect(JSON.stringify(o)).not.toContain(BAD);
    await rotate(arn, { username: 'booking', password: 'Back-to-good-1b2c3d4e' });
  });

  it('the ack provider’s reader reads the same secret with the operator’s settings (region from the ARN)', async () => {
    const read = masterUserSecretReader({ endpoint: moto.endpoint, credentials: CREDENTIALS, maxAttempts: 2 }, 'eu-west-1');
    expect(await read(arn)).toEqual({ credentials: { user: 'booking', password: 'Back-to-good-1b2c3d4e' } });
    const missing = await readMasterUserSecret(aws.secretsManager, arn.replace('rds!db-', 'rds!db-0-'));
    expect(missing).toMatchObject({ state: { ready: false, reason: 'AwsError' } });
  });

  it('deletionPolicy Snapshot: the final snapshot is taken, and RDS deletes its secret with the database', async () => {
    const { dp } = recordingProvider();
    const { message } = await finalizeAll(dp, p());
    expect(message).toContain('RDS deleted its master user secret');
    expect(((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier)).not.toContain(id());
    expect(((await aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id() }))).DBSnapshots ?? []).filter((s) => s.SnapshotType === 'manual')).toHaveLength(1);
    expect(await secretGone(arn)).toBe(true);
  });
});

describe('Aurora with a managed master password', () => {
  it('creates the cluster with ManageMasterUserPassword, reads the cluster’s secret; Retain keeps database and secret', async () => {
    const p = sdkPlatform('mau', net, set('environment', 'staging'), managed({ engine: 'aurora-postgresql', version: '16.4', serverless: {}, deletionPolicy: 'Retain' }));
    const { dp, calls } = recordingProvider();
    const o = await converge(dp, p);
    const create = calls.filter((c) => c.command === 'CreateDBClusterCommand');
    expect(create).toHaveLength(1);
    expect(create[0]!.input).toMatchObject({ ManageMasterUserPassword: true });
    expect(create[0]!.input).not.toHaveProperty('MasterUserPassword');
    // the members carry no credentials
    for (const c of calls.filter((x) => x.command === 'CreateDBInstanceCommand')) expect(c.input).not.toHaveProperty('ManageMasterUserPassword');
    const cluster = (await aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: awsId('mau', 'db') }))).DBClusters![0]!;
    const arn = cluster.MasterUserSecret!.SecretArn!;
    expect(arn).toMatch(/:secret:rds!cluster-/);
    const value = await currentValue(arn);
    expect(o.database!.connection).toMatchObject({ host: cluster.Endpoint, user: value.username, password: value.password });

    const { message } = await finalizeAll(dp, p);
    expect(message).toContain(`its master password stays in the Secrets Manager secret RDS manages for it (${arn})`);
    expect((await aws.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: awsId('mau', 'db') }))).DBClusters).toHaveLength(1);
    expect(await currentValue(arn)).toEqual(value);
  });
});
