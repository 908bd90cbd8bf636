/**
 * The five seed plans' examples (examples/seed-*.yaml, mapped in docs/architecture.md) reach
 * Ready on the rig, each in its own namespace, with their security design in place: the master
 * password kept by RDS in Secrets Manager, application secrets generated once or read from
 * Secrets Manager, one managed IAM role per component that needs AWS, admin sign-in through a
 * Cognito pool the operator created.
 *
 * Two operators, each watching only its own seeds' namespaces. The `ack` seeds: this test PLAYS
 * ACK (fake-ack's makeAllAvailable, ACK iam-controller Roles included) and RDS's part in
 * `manageMasterUserPassword` (a `rds!…` secret in moto, its ARN in the DB object's status, as
 * ack-real-managed.test.ts sees the real rds-controller write it); their operator reads Secrets
 * Manager in moto. The `sdk` seeds: everything in moto (their subnets and security group swapped
 * for moto's).
 */
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { roleName } from '../../src/security/iam/policies.ts';
import { EXAMPLE_FILES, example } from '../fixtures/platform.ts';
import { makeAllAvailable, setStatus } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk, REPO } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const logDir = mkdtempSync(join(tmpdir(), 'seeds-test-'));
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
/** The cluster's IAM OIDC provider, for the IRSA trust of managed roles (IAM does not check that it exists). */
const CLUSTER = 'seeds-test';
const OIDC_PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/SEEDS0123456789';

const SEEDS = EXAMPLE_FILES.filter((f) => f.startsWith('seed-')).map((file) => {
  const p = example(file);
  return { file, p, ns: p.metadata.namespace!, name: p.metadata.name };
});
type Seed = (typeof SEEDS)[number];
const ACK = SEEDS.filter((s) => s.p.spec.provisioner === 'ack');
const SDK = SEEDS.filter((s) => s.p.spec.provisioner === 'sdk');
/** What the seeds' Secrets Manager entries read: the user's secrets, there before the platform. */
const SECRETS_MANAGER_VALUES: Record<string, string> = { 'seed-ecs/calendar': JSON.stringify({ apiKey: `cal-${randomBytes(12).toString('hex')}` }) };

let ackOp: OperatorProcess;
let sdkOp: OperatorProcess;
let net: { subnetIds: string[]; securityGroupIds: string[] };

beforeAll(async () => {
  for (const s of SEEDS) kubectl(rig, ['create', 'namespace', s.ns]);
  net = await motoNetwork(aws, '10.60.0.0/16');
  for (const [id, value] of Object.entries(SECRETS_MANAGER_VALUES)) {
    await aws.secretsManager.send(new CreateSecretCommand({ Name: id, SecretString: value })).catch(() => aws.secretsManager.send(new PutSecretValueCommand({ SecretId: id, SecretString: value })));
  }
  const own = (seeds: Seed[], identity: string) => ({ ...sdkOperatorEnv(identity, CLUSTER, rig.awsEndpoint!, REGION), WATCH_NAMESPACES: seeds.map((s) => s.ns).join(','), BOOKING_OIDC_PROVIDER_ARN: OIDC_PROVIDER });
  [ackOp, sdkOp] = await Promise.all([
    startOperatorProcess(rig.kubeconfig, { identity: 'seeds-ack', env: own(ACK, 'seeds-ack'), logDir }),
    startOperatorProcess(rig.kubeconfig, { identity: 'seeds-sdk', env: own(SDK, 'seeds-sdk'), logDir }),
  ]);
});

afterAll(async () => {
  // the rig plays no ACK deletion and moto never finishes deleting a replication group
  // (ack-real-cache.test.ts), so the seeds are let go without cleanup; deletion has its own tests
  for (const s of SEEDS) {
    kubectl(rig, ['annotate', 'bkp', s.name, '-n', s.ns, 'platform.booking.io/skip-cleanup=true']);
    kubectl(rig, ['delete', 'bkp', s.name, '-n', s.ns, '--wait=false']);
  }
  await waitUntil('seed platforms gone', () => SEEDS.every((s) => kubectl(rig, ['get', 'bkp', s.name, '-n', s.ns, '-o', 'name']).code !== 0), 60_000, 500).catch((e) => console.warn(String(e)));
  await Promise.all([ackOp?.stop(), sdkOp?.stop()]);
});

/** The example as a user applies it; sdk seeds get moto's network in place of their placeholder ids. */
function apply(seed: Seed): void {
  if (seed.p.spec.provisioner !== 'sdk') return void kubectlOk(rig, ['apply', '--server-side', '-f', `${REPO}/examples/${seed.file}`]);
  const doc = parse(readFileSync(`${REPO}/examples/${seed.file}`, 'utf8'));
  doc.spec.aws = { ...doc.spec.aws, region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds };
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(doc));
}

const DB_KINDS = { DBInstance: 'dbinstances.rds.services.k8s.aws', DBCluster: 'dbclusters.rds.services.k8s.aws' } as const;

/** RDS's and ACK's part in `manageMasterUserPassword`: RDS's secret in moto, its ARN in the DB object's status. */
async function playManagedPassword(ns: string): Promise<void> {
  for (const [kind, plural] of Object.entries(DB_KINDS)) {
    for (const db of get([plural, '-n', ns]).items as any[]) {
      if (!db.spec.manageMasterUserPassword || db.status?.masterUserSecret) continue;
      const value = JSON.stringify({ username: db.spec.masterUsername, password: randomBytes(24).toString('base64url') });
      const secret = await aws.secretsManager.send(new CreateSecretCommand({ Name: `rds!${kind === 'DBCluster' ? 'cluster' : 'db'}-${randomUUID()}`, SecretString: value }));
      setStatus(rig, ns, kind, db.metadata.name, { masterUserSecret: { secretARN: secret.ARN, secretStatus: 'active' } });
    }
  }
}

/** The ARN of RDS's master secret: from the ACK object's status, or (sdk) from RDS itself. */
async function masterSecretArn(seed: Seed): Promise<string> {
  if (seed.p.spec.provisioner === 'ack') {
    const dbs = Object.values(DB_KINDS).flatMap((plural) => get([plural, '-n', seed.ns]).items as any[]);
    return dbs.find((d) => d.spec.manageMasterUserPassword)!.status.masterUserSecret.secretARN;
  }
  const own = ((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).filter((d) => d.TagList?.some((t) => t.Key === 'booking.io/platform' && t.Value === `${seed.ns}/${seed.name}`));
  expect(own).toHaveLength(1);
  return own[0]!.MasterUserSecret!.SecretArn!;
}

describe('the seed plans on EKS', () => {
  it('has one example per seed plan, three through ACK and two through the SDK', () => {
    expect(SEEDS.map((s) => s.file).sort()).toEqual(['seed-apprunner-mysql.yaml', 'seed-appsync-cognito.yaml', 'seed-ecs-fargate.yaml', 'seed-sst-aurora.yaml', 'seed-websocket-bedrock.yaml']);
    expect(new Set(SEEDS.map((s) => s.ns)).size).toBe(SEEDS.length);
    expect([ACK.length, SDK.length]).toEqual([3, 2]);
  });

  it('carries each plan\'s security design: RDS-managed passwords, application secrets, managed roles, Bedrock, admin sign-in', () => {
    for (const { file, p } of SEEDS) {
      if (p.spec.database) expect(p.spec.database.credentials?.mode, file).toBe('managed');
      expect(p.spec.secrets?.entries.length, file).toBeGreaterThan(0);
      if (file !== 'seed-appsync-cognito.yaml') expect(p.spec.iam, file).toBeDefined();
    }
    const seed = (file: string) => SEEDS.find((s) => s.file === file)!.p.spec;
    expect(seed('seed-appsync-cognito.yaml').ingress?.adminAuth?.cognito?.create).toBeDefined();
    expect(seed('seed-websocket-bedrock.yaml').mcpServers?.find((m) => m.name === 'llm')?.bedrock?.modelIds).toHaveLength(1);
    expect(seed('seed-ecs-fargate.yaml').secrets?.entries.some((e) => e.secretsManager)).toBe(true);
    expect(seed('seed-apprunner-mysql.yaml').services?.find((s) => s.name === 'chatbot')?.iamPolicy).toBeDefined();
  });

  it.concurrent.each(SEEDS.map((s) => [s.file, s] as const))('%s becomes Ready with every workload available and its security design in place', async (_file, seed) => {
    const { ns, name, p } = seed;
    apply(seed);
    await waitUntil(`${ns}/${name} Ready`, async () => {
      if (p.spec.provisioner === 'ack') {
        makeAllAvailable(rig, ns);
        await playManagedPassword(ns);
      }
      return get(['bkp', name, '-n', ns]).status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    }, 150_000, 1000);

    const platform = get(['bkp', name, '-n', ns]);
    expect(platform.status.phase).toBe('Ready');
    expect(platform.status.observedGeneration).toBe(platform.metadata.generation);
    expect(platform.status.components.filter((c: any) => !c.ready)).toEqual([]);
    const condition = (type: string) => platform.status.conditions.find((c: any) => c.type === type);

    // every workload the plan names runs: backend, admin, MCP servers, further services, the gateway
    const wanted = [
      `${name}-backend`,
      ...(p.spec.admin ? [`${name}-admin`] : []),
      ...(p.spec.mcpServers ?? []).filter((m) => m.enabled).map((m) => `${name}-mcp-${m.name}`),
      ...(p.spec.services ?? []).filter((s) => s.enabled).map((s) => `${name}-${s.name}`),
    ];
    const deployments = get(['deployments', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(wanted.sort());
    const sets = get(['statefulsets', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];
    expect(sets.map((s) => s.metadata.name)).toEqual(p.spec.whatsapp?.enabled ? [`${name}-whatsapp`] : []);
    for (const w of [...deployments, ...sets]) {
      expect(w.metadata.ownerReferences, w.metadata.name).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name, uid: platform.metadata.uid, controller: true })]);
      expect(w.status.readyReplicas ?? 0, w.metadata.name).toBeGreaterThanOrEqual(1);
    }

    // the connection Secret carries what the plan's data tier gives the apps, and nothing more
    const connection = decode(get(['secret', `${name}-connection`, '-n', ns]).data);
    const keys = [
      ...(p.spec.database ? ['DATABASE_URL', 'DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_PORT', 'DB_USER'] : []),
      ...(p.spec.cache ? ['REDIS_URL'] : []),
      ...(p.spec.uploads?.enabled ? ['AWS_REGION', 'UPLOADS_BUCKET'] : []),
    ];
    expect(Object.keys(connection).sort()).toEqual(keys.sort());
    const secretValues: string[] = [];

    // the master password is RDS's, in Secrets Manager: no Kubernetes master Secret
    if (p.spec.database?.credentials?.mode === 'managed') {
      const rds = JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: await masterSecretArn(seed) }))).SecretString!);
      expect(connection.DB_PASSWORD).toBe(rds.password);
      expect(connection.DB_USER).toBe(rds.username);
      expect((get(['secrets', '-n', ns]).items as any[]).map((s) => s.metadata.name)).not.toContain(`${name}-db-master`);
      secretValues.push(rds.password);
    }

    // application secrets: generated ones (64 characters by default) and Secrets Manager ones, by
    // secretKeyRef in every consumer's containers
    if (p.spec.secrets) {
      expect(condition('SecretsReady')?.status).toBe('True');
      for (const e of p.spec.secrets.entries) {
        const secretName = e.generate ? `${name}-generated-secrets` : `${name}-app-secrets`;
        const value = decode(get(['secret', secretName, '-n', ns]).data)[e.name]!;
        if (e.generate) expect(value, e.name).toMatch(new RegExp(`^[A-Za-z0-9_-]{${e.generate.length}}$`));
        else expect(value, e.name).toBe(JSON.parse(SECRETS_MANAGER_VALUES[e.secretsManager!.secretId]!)[e.secretsManager!.key!]);
        secretValues.push(value);
        for (const consumer of p.spec.secrets.consumers) {
          const env = deployments.find((d) => d.metadata.name === `${name}-${consumer}`)!.spec.template.spec.containers[0].env as any[];
          expect(env.find((v) => v.name === e.name)?.valueFrom?.secretKeyRef, `${consumer} ${e.name}`).toEqual(expect.objectContaining({ name: secretName, key: e.name }));
        }
      }
    }

    // managed IAM: a role for the backend and for each component with a policy or Bedrock access,
    // on its ServiceAccount; a role given by ARN stays as it is
    if (p.spec.iam) {
      expect(condition('IdentityReady')?.status).toBe('True');
      const withRole = [
        ...(p.spec.backend.iamRoleArn ? [] : ['backend']),
        ...(p.spec.mcpServers ?? []).filter((m) => m.enabled && (m.bedrock || m.iamPolicy)).map((m) => `mcp-${m.name}`),
        ...(p.spec.services ?? []).filter((s) => s.enabled && (s.bedrock || s.iamPolicy)).map((s) => s.name),
      ];
      for (const component of withRole) {
        const arn = get(['serviceaccount', `${name}-${component}`, '-n', ns]).metadata.annotations?.['eks.amazonaws.com/role-arn'];
        expect(arn, component).toMatch(new RegExp(`^arn:aws:iam::123456789012:role/(booking/[0-9a-f]+/)?${roleName(p, { clusterName: CLUSTER }, component)}$`));
      }
    }

    // admin sign-in at the ALB: the admin host's own Ingress, with the Cognito pool the operator created
    if (p.spec.ingress?.adminAuth) {
      expect(condition('AdminAuthReady')?.status).toBe('True');
      const annotations = get(['ingress', `${name}-admin`, '-n', ns]).metadata.annotations;
      expect(annotations['alb.ingress.kubernetes.io/auth-type']).toBe('cognito');
      expect(JSON.parse(annotations['alb.ingress.kubernetes.io/auth-idp-cognito'])).toEqual(expect.objectContaining({ userPoolARN: expect.stringMatching(/^arn:aws:cognito-idp:us-east-1:\d{12}:userpool\//) }));
    }

    // no secret value in status, Events or either operator's log
    if (connection.DB_PASSWORD) secretValues.push(connection.DB_PASSWORD);
    for (const v of secretValues) {
      // long enough not to turn up by chance (moto's RDS-managed password is the fixed `P@55w0rd!`)
      expect(v.length).toBeGreaterThanOrEqual(9);
      expect(JSON.stringify(platform.status)).not.toContain(v);
      expect(kubectlOk(rig, ['get', 'events', '-n', ns, '-o', 'json'])).not.toContain(v);
      for (const op of [ackOp, sdkOp]) expect(readFileSync(op.log, 'utf8')).not.toContain(v);
    }
  });
});
