/**
 * `provisioner: ack` with `database.credentials.mode: managed`, end to end with the REAL ACK
 * rds-controller (v1.10.0) and moto as AWS: the operator renders a DBInstance with
 * `manageMasterUserPassword: true` and no password reference, the rds-controller creates it in moto
 * (moto 5.2.1 implements ManageMasterUserPassword: a `rds!db-…` Secrets Manager secret) and writes
 * `status.masterUserSecret.secretARN`, and the operator — started with the AWS settings it reads
 * Secrets Manager with — builds the connection Secret from RDS's secret. A rotated value (a new
 * AWSCURRENT version) reaches the connection Secret on the next observe (RESYNC_SECONDS=5 here) and
 * rolls the pods. No Kubernetes master Secret exists at any time; no secret value appears in the
 * spec, status, Events, the operator's log or its metrics. Removing the section with Retain leaves
 * database and secret in AWS, and status.released names no Kubernetes Secret.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONNECTION_HASH_ANNOTATION } from '../../src/render/names.ts';
import { motoClients, network, REGION, type Network } from '../aws/moto.ts';
import { rawPlatform, set, withDatabase } from '../fixtures/platform.ts';
import { startAckRdsController, type AckController } from '../rig/ack-controller.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const logDir = mkdtempSync(join(tmpdir(), 'ack-real-managed-'));
const NS = 'ackr-managed';
const NAME = 'shop';
const ROTATED = 'Rotated-In-Secrets-Manager-4f7a1c9e2d';

let net: Network;
let ack: AckController;
let op: OperatorProcess;

beforeAll(async () => {
  net = await network(aws, '10.61.0.0/16');
  kubectl(rig, ['create', 'namespace', NS]);
  ack = await startAckRdsController(rig, { awsEndpoint: rig.awsEndpoint!, namespace: NS, logDir });
  op = await startOperatorProcess(rig.kubeconfig, {
    identity: 'ack-real-managed',
    // the AWS settings the operator reads RDS's secret with (no BOOKING_CLUSTER_NAME: ack needs none)
    env: { LEASE_NAME: 'ack-real-managed', WATCH_NAMESPACES: NS, AWS_REGION: REGION, AWS_ENDPOINT_URL: rig.awsEndpoint!, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', RESYNC_SECONDS: '5' },
    logDir,
  });
  console.log(`[ack-real-managed] logs in ${logDir} (operator: ${op.log}, rds-controller: ${ack.log})`);
});
afterAll(async () => {
  await op?.stop();
  await ack?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const platform = () => get(['bkp', NAME, '-n', NS]);
const condition = (type: string) => platform().status?.conditions?.find((c: any) => c.type === type);
const connection = (key: string) => Buffer.from(get(['secret', `${NAME}-connection`, '-n', NS]).data[key], 'base64').toString();
const podHash = () => get(['deployment', `${NAME}-backend`, '-n', NS]).spec.template.metadata.annotations?.[CONNECTION_HASH_ANNOTATION] as string | undefined;
const secretNames = () => (get(['secrets', '-n', NS]).items as any[]).map((s) => s.metadata.name as string);

function apply(database: Record<string, unknown> | undefined): void {
  const raw = rawPlatform(NAME, set('environment', 'staging'), set('aws', { region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds }), ...(database ? [withDatabase(database)] : []));
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...raw, metadata: { name: NAME, namespace: NS } }));
}

/** /metrics; once more on a reset (a kept-alive socket the server closed meanwhile, seen under load). */
const scrape = () => op.metrics().catch(() => op.metrics());

/** Where a secret value must never be: the platform (spec, status, annotations), Events, the operator's log and metrics. */
async function expectNowhere(values: string[]): Promise<void> {
  const places = {
    platform: JSON.stringify(platform()),
    events: kubectlOk(rig, ['get', 'events', '-n', NS, '-o', 'json']),
    'operator log': readFileSync(op.log, 'utf8'),
    metrics: await scrape(),
  };
  for (const v of values) for (const [where, text] of Object.entries(places)) expect(text.includes(v), `a secret value in the ${where}`).toBe(false);
}

describe('ack with credentials mode managed, through the real rds-controller', () => {
  let arn = '';
  let dbId = '';

  it('reaches Ready with the connection built from RDS’s secret, and no master Secret anywhere', async () => {
    apply({ engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Retain', credentials: { mode: 'managed' } });
    await waitUntil(`${NS}/${NAME} Ready`, () => condition('Ready')?.status === 'True', 150_000, 500);
    const [object] = get(['dbinstances.rds.services.k8s.aws', '-n', NS, '-l', `platform.booking.io/name=${NAME}`]).items as any[];
    expect(object.spec.manageMasterUserPassword).toBe(true);
    expect(object.spec.masterUserPassword).toBeUndefined();
    dbId = object.spec.dbInstanceIdentifier;
    // the ARN ACK reports is the one RDS (moto) holds for the instance
    const inst = (await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbId }))).DBInstances![0]!;
    arn = object.status.masterUserSecret.secretARN;
    expect(arn).toBe(inst.MasterUserSecret!.SecretArn);
    const value = JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
    expect(connection('DB_PASSWORD')).toBe(value.password);
    expect(connection('DB_USER')).toBe(value.username);
    expect(connection('DB_HOST')).toBe(inst.Endpoint!.Address);
    expect(secretNames()).not.toContain(`${NAME}-db-master`);
    expect(JSON.parse(platform().metadata.annotations['platform.booking.io/data-services']).services.database).not.toHaveProperty('secret');
    expect(podHash()).toBeTruthy();
    await expectNowhere([value.password]);
  });

  it('a rotated value reaches the connection Secret on the next observe and rolls the pods', async () => {
    expect(arn, 'the Ready test ran').not.toBe('');
    const before = podHash();
    await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: 'booking', password: ROTATED }) }));
    await waitUntil('the rotated password in the connection Secret', () => connection('DB_PASSWORD') === ROTATED, 60_000, 500);
    await waitUntil('a new connection hash on the pod template', () => podHash() !== before, 60_000, 500);
    expect(connection('DB_USER')).toBe('booking');
    expect(secretNames()).not.toContain(`${NAME}-db-master`);
    // nothing was regenerated or set on the database
    const reasons = (get(['events', '-n', NS]).items as any[]).map((e) => e.reason);
    expect(reasons).not.toEqual(expect.arrayContaining(['PasswordGenerated', 'PasswordRegenerated', 'PasswordRotated']));
    await expectNowhere([ROTATED]);
  });

  it('removing the section with Retain leaves database and secret in AWS; status.released names no Kubernetes Secret', async () => {
    expect(dbId, 'the Ready test ran').not.toBe('');
    apply(undefined);
    const released = await waitUntil('the database in status.released', () => (platform().status?.released as any[] | undefined)?.find((r) => r.service === 'database'), 90_000, 500);
    expect(released).toEqual({ service: 'database', resource: `DBInstance ${dbId}`, policy: 'Retain' });
    expect((await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbId }))).DBInstances![0]!.DBInstanceStatus).toBe('available');
    expect(JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!).password).toBe(ROTATED);
    expect(secretNames()).not.toContain(`${NAME}-db-master`);
    kubectlOk(rig, ['delete', 'bkp', NAME, '-n', NS, '--wait=false']);
    await waitUntil('platform gone', () => kubectl(rig, ['get', 'bkp', NAME, '-n', NS, '-o', 'name']).code !== 0, 60_000, 500);
  });
});
