/**
 * Admin sign-in at the ALB through the running operator: the apiserver takes both Ingresses; an
 * OIDC platform waits for its client Secret with the admin host unserved, then becomes Ready with
 * the admin Ingress signed in and the API Ingress not; with provisioner sdk and
 * `cognito.create`, the operator creates the user pool in moto with the seed's policy, the admin
 * Ingress carries its ids, no client secret reaches status, Events or logs, and deletion follows
 * deletionPolicy Delete.
 */
import { DescribeUserPoolClientCommand, DescribeUserPoolCommand, GetUserPoolMfaConfigCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { userPoolDomainPrefix } from '../../src/aws/cognito.ts';
import type { AwsContext } from '../../src/aws/context.ts';
import { USER_POOL_ANNOTATION } from '../../src/security/admin-auth/index.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { awsName } from '../../src/render/names.ts';
import { platform, withAdmin, withIngress } from '../fixtures/platform.ts';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const CLUSTER = 'admin-auth-test';
const ALB = 'alb.ingress.kubernetes.io';
let op: OperatorProcess;
let subnets: string[];
let sg: string;

const oidc = { issuer: 'https://idp.example', authorizationEndpoint: 'https://idp.example/authorize', tokenEndpoint: 'https://idp.example/token', userInfoEndpoint: 'https://idp.example/userinfo', clientSecretRef: { name: 'admin-oidc' } };
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const cond = (ns: string, type: string) => get(['bkp', 'shop', '-n', ns]).status?.conditions?.find((c: any) => c.type === type);
const exists = (args: string[]) => kubectl(rig, ['get', ...args, '-o', 'name']).code === 0;
const doc = (ns: string, spec: object) => JSON.stringify({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'shop', namespace: ns }, spec });
const base = (host: string) => ({
  backend: { image: 'registry.example/backend:1.0.0', autoscaling: { minReplicas: 1, maxReplicas: 2 } },
  admin: { image: 'registry.example/admin:1.0.0', replicas: 1 },
  ingress: { host: `api.${host}`, adminHost: `admin.${host}`, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', groupName: 'shop' },
});

beforeAll(async () => {
  const net = await motoNetwork(aws, '10.60.0.0/16');
  subnets = net.subnetIds;
  sg = net.securityGroupIds[0]!;
  op = await startOperatorProcess(rig.kubeconfig, { identity: CLUSTER, env: { ...sdkOperatorEnv(CLUSTER, CLUSTER, rig.awsEndpoint!, REGION), WATCH_NAMESPACES: 'auth-oidc,auth-cognito' }, logDir: mkdtempSync(join(tmpdir(), 'admin-auth-')) });
});
afterAll(async () => {
  await op?.stop();
});

describe('admin sign-in at the ALB', () => {
  it('the apiserver takes the API and the admin Ingress as rendered', () => {
    kubectl(rig, ['create', 'namespace', 'auth-dry']);
    const p = platform('shop', withAdmin(), withIngress({ adminHost: 'admin.shop.example', groupName: 'shop', adminAuth: { oidc } }));
    const ingresses = renderPlatform({ ...p, metadata: { ...p.metadata, namespace: 'auth-dry' } } as BookingPlatform, { adminAuth: {} }).filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((o) => o.metadata.name)).toEqual(['shop', 'shop-admin']);
    const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--field-manager=booking-operator', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: ingresses }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('OIDC: the admin host waits for the client Secret, then the platform is Ready with only the admin Ingress signed in', async () => {
    const ns = 'auth-oidc';
    kubectl(rig, ['create', 'namespace', ns]);
    const spec = base('oidc.example');
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], doc(ns, { provisioner: 'external', ...spec, ingress: { ...spec.ingress, adminAuth: { oidc, scope: 'openid email' } } }));
    await waitUntil('AdminAuthReady SecretNotFound', () => cond(ns, 'AdminAuthReady')?.reason === 'SecretNotFound', 60_000, 500);
    expect(cond(ns, 'Ready')?.status).toBe('False');
    expect(exists(['ingress', 'shop', '-n', ns])).toBe(true);
    expect(exists(['ingress', 'shop-admin', '-n', ns])).toBe(false);

    kubectlOk(rig, ['create', 'secret', 'generic', 'admin-oidc', '-n', ns, '--from-literal=clientID=admin-ui', '--from-literal=clientSecret=oidc-s3cret-value']);
    await waitUntil('Ready', () => cond(ns, 'Ready')?.status === 'True', 90_000, 500);
    expect(cond(ns, 'AdminAuthReady')).toMatchObject({ status: 'True', reason: 'Available' });
    const api = get(['ingress', 'shop', '-n', ns]);
    const admin = get(['ingress', 'shop-admin', '-n', ns]);
    expect(Object.keys(api.metadata.annotations).filter((k) => k.startsWith(`${ALB}/auth-`))).toEqual([]);
    expect(api.spec.rules.map((r: any) => r.host)).toEqual(['api.oidc.example']);
    expect(admin.metadata.annotations[`${ALB}/auth-type`]).toBe('oidc');
    expect(JSON.parse(admin.metadata.annotations[`${ALB}/auth-idp-oidc`]).secretName).toBe('admin-oidc');
    expect(admin.metadata.annotations[`${ALB}/group.name`]).toBe(api.metadata.annotations[`${ALB}/group.name`]);
    expect(admin.metadata.ownerReferences[0]).toMatchObject({ kind: 'BookingPlatform', name: 'shop' });
    // the client secret is the controller's to read: not in status, Events or the operator's log
    expect(JSON.stringify(get(['bkp', 'shop', '-n', ns]).status)).not.toContain('oidc-s3cret-value');
    expect(kubectlOk(rig, ['get', 'events', '-n', ns, '-o', 'json'])).not.toContain('oidc-s3cret-value');
    expect(readFileSync(op.log, 'utf8')).not.toContain('oidc-s3cret-value');
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', ns, '--wait=false']);
  });

  it('sdk + cognito.create: the pool is created with the seed’s policy, its ids reach the admin Ingress, and deletion follows the policy', async () => {
    const ns = 'auth-cognito';
    kubectl(rig, ['create', 'namespace', ns]);
    const spec = base('cognito.example');
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], doc(ns, {
      provisioner: 'sdk',
      aws: { region: REGION, subnetIds: subnets, securityGroupIds: [sg] },
      ...spec,
      ingress: { ...spec.ingress, adminAuth: { cognito: { create: { deletionPolicy: 'Delete' } } } },
    }));
    await waitUntil('Ready', () => cond(ns, 'Ready')?.status === 'True', 90_000, 500);
    expect(cond(ns, 'AdminAuthReady')).toMatchObject({ status: 'True' });

    const shop = { metadata: { name: 'shop', namespace: ns } } as BookingPlatform;
    const poolName = awsName(shop, { clusterName: CLUSTER }, 'admin', 128);
    const pools = ((await aws.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((u) => u.Name === poolName);
    expect(pools).toHaveLength(1);
    const pool = (await aws.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pools[0]!.Id! }))).UserPool!;
    expect(pool.Policies!.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true });
    expect(pool.AdminCreateUserConfig!.AllowAdminCreateUserOnly).toBe(true);
    expect(pool.UsernameAttributes).toEqual(['email']);
    expect((await aws.cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: pool.Id! }))).SoftwareTokenMfaConfiguration).toEqual({ Enabled: true });

    const admin = get(['ingress', 'shop-admin', '-n', ns]);
    const idp = JSON.parse(admin.metadata.annotations[`${ALB}/auth-idp-cognito`]);
    // the account is hashed into the prefix (unique across accounts); the namespace holds a word
    // Cognito refuses in a domain prefix: it becomes x
    const account = (await aws.sts.send(new GetCallerIdentityCommand({}))).Account!;
    expect(idp).toMatchObject({ userPoolARN: pool.Arn, userPoolDomain: userPoolDomainPrefix(shop, { render: { clusterName: CLUSTER } } as AwsContext, account) });
    expect(idp.userPoolDomain).toMatch(/^bkp-auth-x-shop-[0-9a-f]{10}-admin-[0-9a-f]{8}$/);
    // the pool and its policy are recorded on the platform (what removal and deletion act on)
    expect(JSON.parse(get(['bkp', 'shop', '-n', ns]).metadata.annotations[USER_POOL_ANNOTATION])).toEqual({ userPoolId: pool.Id, deletionPolicy: 'Delete' });
    expect(admin.metadata.annotations[`${ALB}/auth-type`]).toBe('cognito');
    const client = (await aws.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: pool.Id!, ClientId: idp.userPoolClientID }))).UserPoolClient!;
    expect(client.CallbackURLs).toEqual(['https://admin.cognito.example/oauth2/idpresponse']);
    const secret = client.ClientSecret!;
    expect(secret.length).toBeGreaterThan(8);
    expect(JSON.stringify(get(['bkp', 'shop', '-n', ns]))).not.toContain(secret);
    expect(kubectlOk(rig, ['get', 'events,ingress,secrets', '-n', ns, '-o', 'json'])).not.toContain(secret);
    expect(readFileSync(op.log, 'utf8')).not.toContain(secret);

    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', ns, '--wait=false']);
    await waitUntil('platform gone', () => !exists(['bkp', 'shop', '-n', ns]), 120_000, 500);
    const left = ((await aws.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((u) => u.Name === poolName);
    expect(left).toEqual([]);
  });
});
