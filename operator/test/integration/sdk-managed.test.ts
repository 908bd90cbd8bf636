/**
 * `provisioner: sdk` with `database.credentials.mode: managed` through the running operator, with
 * moto as AWS: the database is created with ManageMasterUserPassword, the connection Secret is
 * built from RDS's Secrets Manager secret, a rotated value (a new AWSCURRENT version) reaches it on
 * the next observe (RESYNC_SECONDS=5 here) and rolls the pods, no Kubernetes master Secret exists,
 * no secret value appears in spec, status, Events, the operator's log or metrics; deleting the
 * platform (deletionPolicy Delete) deletes the database and RDS deletes its secret with it.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { CONNECTION_HASH_ANNOTATION, awsName } from '../../src/render/names.ts';
import { motoClients, network, REGION, type Network } from '../aws/moto.ts';
import { rawPlatform, set, withDatabase, withProvisioner } from '../fixtures/platform.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const NS = 'sdk-managed';
const NAME = 'shop';
const CLUSTER = 'sdk-managed';
const DB_ID = awsName({ metadata: { name: NAME, namespace: NS } } as BookingPlatform, { clusterName: CLUSTER }, 'db');
const ROTATED = 'Rotated-For-Sdk-Platform-93b0e5c7a1';

let net: Network;
let op: OperatorProcess;

beforeAll(async () => {
  net = await network(aws, '10.62.0.0/16');
  kubectl(rig, ['create', 'namespace', NS]);
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'sdk-managed', env: { ...sdkOperatorEnv('sdk-managed', CLUSTER, rig.awsEndpoint!, REGION), WATCH_NAMESPACES: NS, RESYNC_SECONDS: '5' }, logDir: mkdtempSync(join(tmpdir(), 'sdk-managed-')) });
});
afterAll(async () => {
  await op?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const platform = () => get(['bkp', NAME, '-n', NS]);
const connection = (key: string) => Buffer.from(get(['secret', `${NAME}-connection`, '-n', NS]).data[key], 'base64').toString();
const podHash = () => get(['deployment', `${NAME}-backend`, '-n', NS]).spec.template.metadata.annotations?.[CONNECTION_HASH_ANNOTATION] as string | undefined;
const secretNames = () => (get(['secrets', '-n', NS]).items as any[]).map((s) => s.metadata.name as string);

/** /metrics; once more on a reset (a kept-alive socket the server closed meanwhile, seen under load). */
const scrape = () => op.metrics().catch(() => op.metrics());

async function expectNowhere(values: string[]): Promise<void> {
  const places = { platform: JSON.stringify(platform()), events: kubectlOk(rig, ['get', 'events', '-n', NS, '-o', 'json']), 'operator log': readFileSync(op.log, 'utf8'), metrics: await scrape() };
  for (const v of values) for (const [where, text] of Object.entries(places)) expect(text.includes(v), `a secret value in the ${where}`).toBe(false);
}

describe('provisioner sdk with credentials mode managed', () => {
  let arn = '';

  it('creates the database with a managed password and connects with RDS’s secret', async () => {
    const raw = rawPlatform(NAME, withProvisioner('sdk'), set('environment', 'staging'), set('aws', { region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds }), withDatabase({ instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Delete', credentials: { mode: 'managed' } }));
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...raw, metadata: { name: NAME, namespace: NS } }));
    await waitUntil('Ready', () => platform().status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True', 90_000, 500);
    const inst = (await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: DB_ID }))).DBInstances![0]!;
    arn = inst.MasterUserSecret!.SecretArn!;
    const value = JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!);
    expect(connection('DB_PASSWORD')).toBe(value.password);
    expect(connection('DB_USER')).toBe(value.username);
    expect(connection('DB_HOST')).toBe(inst.Endpoint!.Address);
    expect(secretNames()).not.toContain(`${NAME}-db-master`);
    await expectNowhere([value.password]);
  });

  it('a rotated value reaches the connection Secret on the next observe and rolls the pods', async () => {
    expect(arn, 'the first test ran').not.toBe('');
    const before = podHash();
    expect(before).toBeTruthy();
    await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: 'booking', password: ROTATED }) }));
    await waitUntil('the rotated password in the connection Secret', () => connection('DB_PASSWORD') === ROTATED, 60_000, 500);
    await waitUntil('a new connection hash on the pod template', () => podHash() !== before, 60_000, 500);
    expect(secretNames()).not.toContain(`${NAME}-db-master`);
    const reasons = (get(['events', '-n', NS]).items as any[]).map((e) => e.reason);
    expect(reasons).not.toEqual(expect.arrayContaining(['PasswordGenerated', 'PasswordRegenerated', 'PasswordRotated']));
    await expectNowhere([ROTATED]);
  });

  it('deletionPolicy Delete: the database goes, and RDS deletes its secret with it', async () => {
    kubectlOk(rig, ['delete', 'bkp', NAME, '-n', NS, '--wait=false']);
    await waitUntil('platform gone', () => kubectl(rig, ['get', 'bkp', NAME, '-n', NS, '-o', 'name']).code !== 0, 90_000, 500);
    const instances = (await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(instances.map((i) => i.DBInstanceIdentifier)).not.toContain(DB_ID);
    const read = await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: arn })).then(() => 'still there', (err: Error) => err.name);
    expect(read).toBe('ResourceNotFoundException');
  });
});
