/**
 * Managed IAM through the SDK (security/iam, provisioner sdk) against moto: one role per
 * component created with its path, owner tags, trust and inline policy; drift of either document
 * corrected; the role of a component no longer in the spec deleted; a foreign role under our name
 * left alone (NotOwned); everything deleted with the platform. Pod Identity through the labelled
 * loopback shim for the five EKS calls moto 5.2.1 lacks (operator/test/rig/pod-identity-shim.ts).
 */
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, DeleteRolePermissionsBoundaryCommand, GetRoleCommand, GetRolePolicyCommand, ListRolesCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import type { AwsClients } from '../../src/aws/clients.ts';
import type { Config } from '../../src/config.ts';
import { iamPart } from '../../src/security/iam/index.ts';
import { managedRoles, normalizePolicy, rolePath, roleName, trustPolicy } from '../../src/security/iam/policies.ts';
import type { SecurityEnv, SecurityPart } from '../../src/security/types.ts';
import type { Obj } from '../../src/kube/client.ts';
import { IAM_RECORD_ANNOTATION } from '../../src/security/iam/record.ts';
import { fakeEnv, type FakeEnv } from '../fixtures/security-env.ts';
import { set, withMcp, withUploads, type Modifier } from '../fixtures/platform.ts';
import { startPodIdentityShim, type PodIdentityShim } from '../rig/pod-identity-shim.ts';
import { CLUSTER, CTX, flakyProxy, motoClients, REGION, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

const ACCOUNT = '123456789012';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789`;
const EKS_CLUSTER = 'rig-eks';

let moto: Moto;
let aws: AwsClients;
let net: Network;
let shim: PodIdentityShim;
useMoto((env) => ({ moto, aws, net } = env));
beforeAll(async () => {
  shim = await startPodIdentityShim(moto.endpoint);
});
afterAll(async () => {
  await shim?.stop();
});

const config = (extra: Partial<Config> = {}): Config =>
  ({ awsRegion: REGION, awsEndpoint: shim.endpoint, clusterName: CLUSTER, oidcProviderArn: OIDC, eksClusterName: EKS_CLUSTER, ...extra }) as Config;
/** The part as main.ts builds it, its clients pointed at moto (through the shim). */
const part = (extra: Partial<Config> = {}): SecurityPart => iamPart({ config: config(extra), log: pino({ level: 'silent' }), clients: () => motoClients(shim.endpoint) });
/** One stored platform per name (the record of managed roles lives on it across passes and deletion). */
const envs = new Map<string, FakeEnv>();
const env = (p: BookingPlatform): SecurityEnv => {
  let e = envs.get(p.metadata.name);
  if (!e) {
    e = fakeEnv({ apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: `uid-${p.metadata.name}`, resourceVersion: '1' } } as Obj);
    e.ctx = CTX;
    envs.set(p.metadata.name, e);
  }
  return e;
};

const llm = { name: 'llm', image: 'i:1', port: 7001, bedrock: { modelIds: ['anthropic.claude-3-5-sonnet-20240620-v1:0'] } };
const chatbot = { name: 'chatbot', image: 'i:1', port: 8080, iamPolicy: { statements: [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:${REGION}:${ACCOUNT}:bookings`] }] } };
function iamPlatform(name: string, ...mods: Modifier[]): BookingPlatform {
  return sdkPlatform(name, net, set('aws.accountId', ACCOUNT), set('iam', {}), withUploads(), withMcp(llm), set('services', [chatbot]), ...mods);
}

const getRole = async (name: string) => (await aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
const inlinePolicy = async (name: string) => normalizePolicy(decodeURIComponent((await aws.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'booking-operator' }))).PolicyDocument!));
const rolesUnder = async (path: string) => ((await aws.iam.send(new ListRolesCommand({ PathPrefix: path }))).Roles ?? []).map((r) => r.RoleName!).sort();

describe('managed roles (IRSA)', () => {
  it('creates one role per component with its path, owner tags, trust and inline policy; hands back the ARNs', async () => {
    const p = iamPlatform('iam-a');
    const o = await part().observe(p, env(p));
    expect(o.state).toMatchObject({ ready: true });
    const wanted = managedRoles(p, CTX);
    expect(wanted.map((r) => r.component)).toEqual(['backend', 'mcp-llm', 'chatbot']);
    expect(await rolesUnder(rolePath(p, CTX))).toEqual(wanted.map((r) => r.roleName).sort());
    for (const r of wanted) {
      const role = await getRole(r.roleName);
      expect(role.Path).toBe(rolePath(p, CTX));
      expect(o.facts?.roleArns?.[r.component]).toBe(role.Arn);
      expect(role.Tags).toEqual(expect.arrayContaining([{ Key: 'booking.io/cluster', Value: CLUSTER }, { Key: 'booking.io/platform', Value: 'iam-a/iam-a' }]));
      expect(normalizePolicy(decodeURIComponent(role.AssumeRolePolicyDocument!))).toEqual(normalizePolicy(trustPolicy({ kind: 'irsa', oidcProviderArn: OIDC }, 'iam-a', r.serviceAccount)));
      expect(await inlinePolicy(r.roleName)).toEqual(normalizePolicy(r.policy));
    }
    // a second pass finds nothing to do: reads only, and the same answer
    const proxy = await flakyProxy(shim.endpoint, () => 'forward');
    try {
      const again = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => motoClients(proxy.endpoint) });
      expect(await again.observe(p, env(p))).toEqual(o);
      expect(proxy.seen.length).toBeGreaterThan(0);
      expect(proxy.seen.filter((a) => !/^(Get|List)/.test(a))).toEqual([]); // IAM is a query protocol: its reads are Get*/List*
    } finally {
      await proxy.stop();
    }
  });

  it('corrects drift of the trust and the inline policy', async () => {
    const p = iamPlatform('iam-b');
    await part().observe(p, env(p));
    const name = roleName(p, CTX, 'backend');
    const wide = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    await aws.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'booking-operator', PolicyDocument: JSON.stringify(wide) }));
    const anyone = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(anyone) }));
    expect(await inlinePolicy(name)).toEqual(normalizePolicy(wide));

    await part().observe(p, env(p));
    const backend = managedRoles(p, CTX).find((r) => r.component === 'backend')!;
    expect(await inlinePolicy(name)).toEqual(normalizePolicy(backend.policy));
    expect(normalizePolicy(decodeURIComponent((await getRole(name)).AssumeRolePolicyDocument!))).toEqual(normalizePolicy(trustPolicy({ kind: 'irsa', oidcProviderArn: OIDC }, 'iam-b', 'iam-b-backend')));
  });

  it('deletes the role of a component no longer in the spec, keeps the others; deletes all with the platform', async () => {
    const p = iamPlatform('iam-c');
    await part().observe(p, env(p));
    const path = rolePath(p, CTX);
    expect(await rolesUnder(path)).toHaveLength(3);

    const without = iamPlatform('iam-c', set('services', []));
    const o = await part().observe(without, env(without));
    expect(Object.keys(o.facts?.roleArns ?? {}).sort()).toEqual(['backend', 'mcp-llm']);
    expect(await rolesUnder(path)).toEqual([roleName(p, CTX, 'backend'), roleName(p, CTX, 'mcp-llm')].sort());

    expect(part().needsCleanup(without)).toBe(true);
    expect(await part().remove(without, env(without))).toMatchObject({ done: true });
    expect(await rolesUnder(path)).toEqual([]);
  });

  it('removing the iam section deletes its roles, then the record; from then on no IAM call', async () => {
    const p = iamPlatform('iam-d');
    await part().observe(p, env(p));
    expect(await rolesUnder(rolePath(p, CTX))).toHaveLength(3);
    expect(env(p).raw.metadata.annotations).toMatchObject({ [IAM_RECORD_ANNOTATION]: 'irsa' });
    const plain = sdkPlatform('iam-d', net, withUploads());
    const o = await part().observe(plain, env(plain));
    expect(o.state.ready).toBe(true);
    expect(await rolesUnder(rolePath(p, CTX))).toEqual([]);
    expect(env(p).raw.metadata.annotations).not.toHaveProperty(IAM_RECORD_ANNOTATION);

    const proxy = await flakyProxy(shim.endpoint, () => 'forward');
    try {
      const again = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => motoClients(proxy.endpoint) });
      await again.observe(plain, env(plain));
      expect(await again.remove(plain, env(plain))).toMatchObject({ done: true });
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('with the operator’s permissions boundary: every role is created with it, and a role that lost it gets it back', async () => {
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/booking-boundary`;
    const p = iamPlatform('iam-g');
    const o = await part({ iamPermissionsBoundary: boundary }).observe(p, env(p));
    expect(o.state).toMatchObject({ ready: true });
    for (const r of managedRoles(p, CTX)) expect((await getRole(r.roleName)).PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);

    const name = roleName(p, CTX, 'backend');
    await aws.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }));
    expect((await getRole(name)).PermissionsBoundary).toBeUndefined();
    await part({ iamPermissionsBoundary: boundary }).observe(p, env(p));
    expect((await getRole(name)).PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
  });

  it('a role under our name without this platform’s tags is NotOwned: not changed, not deleted', async () => {
    const p = iamPlatform('iam-e');
    const name = roleName(p, CTX, 'backend');
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await aws.iam.send(new CreateRoleCommand({ RoleName: name, Path: rolePath(p, CTX), AssumeRolePolicyDocument: trust, Tags: [{ Key: 'booking.io/cluster', Value: 'someone-else' }] }));
    const o = await part().observe(p, env(p));
    expect(o.state).toMatchObject({ ready: false, reason: 'NotOwned', terminal: true });
    expect(o.state.message).toContain(name);
    expect(o.facts?.roleArns?.backend).toBeUndefined();
    expect(normalizePolicy(decodeURIComponent((await getRole(name)).AssumeRolePolicyDocument!))).toEqual(normalizePolicy(trust));
    await part().remove(p, env(p));
    expect(await rolesUnder(rolePath(p, CTX))).toEqual([name]);
  });

  it('without the OIDC provider setting: NoOidcProvider, nothing created', async () => {
    const p = iamPlatform('iam-f');
    const o = await part({ oidcProviderArn: undefined }).observe(p, env(p));
    expect(o.state).toMatchObject({ ready: false, reason: 'NoOidcProvider', terminal: true });
    expect(await rolesUnder(rolePath(p, CTX))).toEqual([]);
  });
});

describe('managed roles (EKS Pod Identity, through the shim)', () => {
  it('associates each ServiceAccount with its role, points a changed one back, and deletes them with the platform', async () => {
    await aws.eks.send(
      new CreateClusterCommand({ name: EKS_CLUSTER, roleArn: `arn:aws:iam::${ACCOUNT}:role/eks`, resourcesVpcConfig: { subnetIds: net.subnetIds } }),
    );
    const p = iamPlatform('iam-pi', set('iam', { trust: 'podIdentity' }));
    const o = await part().observe(p, env(p));
    expect(o.state).toMatchObject({ ready: true });
    const mine = () => [...shim.associations.values()].filter((a) => a.namespace === 'iam-pi');
    expect(mine().map((a) => a.serviceAccount).sort()).toEqual(['iam-pi-backend', 'iam-pi-chatbot', 'iam-pi-mcp-llm']);
    for (const a of mine()) {
      const component = a.serviceAccount.replace(/^iam-pi-/, '');
      expect(a.roleArn).toBe(o.facts?.roleArns?.[component]);
      expect(a.tags).toMatchObject({ 'booking.io/cluster': CLUSTER, 'booking.io/platform': 'iam-pi/iam-pi' });
      const role = await getRole(roleName(p, CTX, component));
      expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement[0].Principal).toEqual({ Service: 'pods.eks.amazonaws.com' });
    }

    // someone points one at another role: set back
    const backend = mine().find((a) => a.serviceAccount === 'iam-pi-backend')!;
    backend.roleArn = `arn:aws:iam::${ACCOUNT}:role/elsewhere`;
    await part().observe(p, env(p));
    expect(backend.roleArn).toBe(o.facts?.roleArns?.backend);
    expect(shim.answered).toContain('UpdatePodIdentityAssociation');

    // a component leaves: its association and role go
    await part().observe(iamPlatform('iam-pi', set('iam', { trust: 'podIdentity' }), set('services', [])), env(p));
    expect(mine().map((a) => a.serviceAccount).sort()).toEqual(['iam-pi-backend', 'iam-pi-mcp-llm']);
    expect(await rolesUnder(rolePath(p, CTX))).toHaveLength(2);

    expect(await part().remove(p, env(p))).toMatchObject({ done: true });
    expect(mine()).toEqual([]);
    expect(await rolesUnder(rolePath(p, CTX))).toEqual([]);
  });

  it('an unknown EKS cluster is reported as AWS says, and no association is made', async () => {
    const p = iamPlatform('iam-pj', set('iam', { trust: 'podIdentity' }));
    const o = await part({ eksClusterName: 'no-such-cluster' }).observe(p, env(p));
    expect(o.state).toMatchObject({ ready: false });
    expect(o.state.message).toMatch(/ResourceNotFoundException.*no-such-cluster/);
    expect(o.facts?.roleArns ?? {}).toEqual({});
    expect([...shim.associations.values()].filter((a) => a.namespace === 'iam-pj')).toEqual([]);
  });
});
