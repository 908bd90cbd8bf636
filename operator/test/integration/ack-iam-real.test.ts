/**
 * Managed IAM with `provisioner: ack` end to end through the REAL ACK iam-controller (v1.5.0, built
 * from its Go module by scripts/rig/ensure-binaries.sh `ack`) and moto as AWS: the running operator
 * renders one `Role` per component that needs AWS, the iam-controller creates each role in IAM with
 * the trust policy, the inline policy and the tags, the operator reads the ARN from the Role's
 * status onto the ServiceAccount; a component that leaves loses its Role object and its IAM role;
 * deleting the platform deletes every role. What moto holds is read back through the IAM SDK and
 * compared, parsed, with what the operator's pure functions render.
 */
import { GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { awsTags } from '../../src/render/names.ts';
import { ackRole } from '../../src/security/iam/ack.ts';
import { INLINE_POLICY_NAME, managedRoles, normalizePolicy, rolePath, roleName, trustPolicy } from '../../src/security/iam/policies.ts';
import { motoClients, REGION } from '../aws/moto.ts';
import { platform } from '../fixtures/platform.ts';
import { startAckIamController, type AckController } from '../rig/ack-controller.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const iam = motoClients(rig.awsEndpoint!).iam;
const NS = 'ack-iam-real';
const CLUSTER = 'ack-iam-real';
const ACCOUNT = '123456789012';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ACKIAMREAL0123456789`;
const ROLES = 'roles.iam.services.k8s.aws';
const logDir = mkdtempSync(join(tmpdir(), 'ack-iam-real-'));

let ack: AckController;
let op: OperatorProcess;

beforeAll(async () => {
  kubectl(rig, ['create', 'namespace', NS]);
  ack = await startAckIamController(rig, { awsEndpoint: rig.awsEndpoint!, namespace: NS, logDir });
  op = await startOperatorProcess(rig.kubeconfig, {
    identity: 'ack-iam-real',
    env: { LEASE_NAME: 'ack-iam-real', WATCH_NAMESPACES: NS, BOOKING_CLUSTER_NAME: CLUSTER, BOOKING_OIDC_PROVIDER_ARN: OIDC },
    logDir,
  });
  console.log(`[ack-iam-real] logs in ${logDir} (operator: ${op.log}, iam-controller: ${ack.log})`);
});
afterAll(async () => {
  await op?.stop();
  await ack?.stop();
});

const llm = { name: 'llm', image: 'registry.example/llm:1', port: 7001, bedrock: { modelIds: ['anthropic.claude-3-5-sonnet-20240620-v1:0'] } };
const chatbot = {
  name: 'chatbot',
  image: 'registry.example/bot:1',
  port: 8080,
  iamPolicy: { statements: [{ actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'], resources: [`arn:aws:sqs:${REGION}:${ACCOUNT}:bookings`] }] },
};
const spec = (services: unknown[]) => ({
  environment: 'staging',
  provisioner: 'ack',
  aws: { region: REGION, accountId: ACCOUNT, subnetIds: ['subnet-a1', 'subnet-b2'], securityGroupIds: ['sg-01'] },
  backend: { image: 'registry.example/backend:1.0.0' },
  whatsapp: { enabled: false },
  mcpServers: [llm],
  services,
  iam: {},
});
const apply = (services: unknown[]) =>
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'shop', namespace: NS }, spec: spec(services) }));
/** The platform as the apiserver stores it (defaults applied), in this file's namespace. */
const shop = (services: unknown[]) => {
  const p = platform('shop', (s) => Object.assign(s, spec(services)));
  return { ...p, metadata: { ...p.metadata, namespace: NS } };
};
const ctx = { clusterName: CLUSTER };
const trust = { kind: 'irsa', oidcProviderArn: OIDC } as const;

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const found = (args: string[]) => kubectl(rig, ['get', ...args, '-o', 'json']).code === 0;
const platformLive = () => {
  const r = kubectl(rig, ['get', 'bkp', 'shop', '-n', NS, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const cond = (type: string) => platformLive()?.status?.conditions?.find((c: any) => c.type === type);
const roleArnOf = (sa: string) => get(['serviceaccount', sa, '-n', NS]).metadata.annotations?.['eks.amazonaws.com/role-arn'];
const rolesInMoto = async () => ((await iam.send(new ListRolesCommand({ PathPrefix: rolePath(shop([]), ctx) }))).Roles ?? []).map((r) => r.RoleName!).sort();
/** IAM hands policy documents back URL-encoded (moto may not): either way, the parsed JSON. */
const parsed = (doc: string | undefined) => normalizePolicy(JSON.parse(doc!.trimStart().startsWith('{') ? doc! : decodeURIComponent(doc!)));
const diagnostics = () =>
  `platform: ${JSON.stringify(platformLive()?.status?.conditions?.map((c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message}`))}\n` +
  `Roles: ${JSON.stringify(get([ROLES, '-n', NS]).items.map((r: any) => ({ name: r.metadata.name, status: r.status })))}\n` +
  `iam-controller log:\n${ack.lines().slice(-15).join('\n')}`;

async function waitOr<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  try {
    return await waitUntil(what, fn, timeoutMs, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${diagnostics()}`, { cause: err });
  }
}

describe('managed IAM roles through the real ACK iam-controller', () => {
  it('creates each role in IAM with the trust policy, inline policy and tags the operator rendered, and puts its ARN on the ServiceAccount', async () => {
    apply([chatbot]);
    await waitOr('IdentityReady', () => cond('IdentityReady')?.status === 'True', 90_000);
    const wanted = managedRoles(shop([chatbot]), ctx);
    expect(wanted.map((r) => r.component)).toEqual(['mcp-llm', 'chatbot']);
    expect(await rolesInMoto()).toEqual(wanted.map((r) => r.roleName).sort());
    const tags = awsTags(shop([chatbot]), ctx);
    expect(Object.keys(tags).length).toBeGreaterThan(0);
    for (const r of wanted) {
      const role = (await iam.send(new GetRoleCommand({ RoleName: r.roleName }))).Role!;
      expect(role.Path).toBe(rolePath(shop([]), ctx));
      expect(role.Description).toBe(`booking-operator: ${r.component} of ${NS}/shop`);
      expect(role.MaxSessionDuration).toBe(3600);
      expect(parsed(role.AssumeRolePolicyDocument)).toEqual(normalizePolicy(trustPolicy(trust, NS, r.serviceAccount)));
      // exactly the one inline policy, as rendered
      expect((await iam.send(new ListRolePoliciesCommand({ RoleName: r.roleName }))).PolicyNames).toEqual([INLINE_POLICY_NAME]);
      const inline = await iam.send(new GetRolePolicyCommand({ RoleName: r.roleName, PolicyName: INLINE_POLICY_NAME }));
      expect(parsed(inline.PolicyDocument)).toEqual(normalizePolicy(r.policy));
      // every tag of the platform (ACK adds its own beside them)
      const inAws = Object.fromEntries(((await iam.send(new ListRoleTagsCommand({ RoleName: r.roleName }))).Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(inAws).toMatchObject(tags);
      // the ARN travels: Role status → operator → ServiceAccount
      const object = get([ROLES, r.roleName, '-n', NS]);
      expect(object.spec, 'the Role as the operator applied it (no field rewritten by ACK)').toEqual(ackRole(shop([chatbot]), ctx, trust, r).spec);
      expect(object.status.ackResourceMetadata.arn).toBe(role.Arn);
      expect(object.status.conditions.find((c: any) => c.type === 'ACK.ResourceSynced')?.status).toBe('True');
      await waitOr(`${r.serviceAccount} annotated`, () => roleArnOf(r.serviceAccount) === role.Arn, 30_000);
    }
  });

  it('an inline policy IAM refuses: IdentityReady False quoting IAM, the ServiceAccount keeps its role; fixed, Ready again', async () => {
    const sa = 'shop-chatbot';
    const arn = roleArnOf(sa);
    expect(arn).toMatch(/^arn:aws:iam::/);
    // passes the CRD (aws[a-z-]* partition), refused by IAM: MalformedPolicyDocument, ACK.Terminal
    const refused = { ...chatbot, iamPolicy: { statements: [{ actions: ['sqs:SendMessage'], resources: [`arn:aws-bogus:sqs:${REGION}:${ACCOUNT}:bookings`] }] } };
    apply([refused]);
    const c = await waitOr('IdentityReady False', () => (cond('IdentityReady')?.status === 'False' ? cond('IdentityReady') : undefined), 60_000);
    expect(c.reason).toBe('ACKTerminal');
    expect(c.message).toContain('MalformedPolicyDocument');
    // the role in use works on with its last accepted policy: the pods keep it
    expect(roleArnOf(sa)).toBe(arn);
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: roleName(shop([]), ctx, 'chatbot'), PolicyName: INLINE_POLICY_NAME }));
    expect(parsed(inline.PolicyDocument)).toEqual(normalizePolicy(managedRoles(shop([chatbot]), ctx).find((r) => r.component === 'chatbot')!.policy));
    apply([chatbot]);
    await waitOr('IdentityReady again', () => cond('IdentityReady')?.status === 'True', 60_000);
    expect(roleArnOf(sa)).toBe(arn);
  });

  it('a component that leaves: its Role object is pruned and its IAM role deleted; the others stay', async () => {
    apply([]);
    const gone = roleName(shop([]), ctx, 'chatbot');
    await waitOr('the chatbot Role object pruned', () => !found([ROLES, gone, '-n', NS]), 60_000);
    await waitOr('the chatbot IAM role deleted', async () => !(await rolesInMoto()).includes(gone), 60_000);
    expect(await rolesInMoto()).toEqual([roleName(shop([]), ctx, 'mcp-llm')]);
    expect(cond('IdentityReady')?.status).toBe('True');
  });

  it('deleting the platform deletes every role', async () => {
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', NS, '--wait=false']);
    await waitOr('platform gone', () => platformLive() === undefined, 60_000);
    await waitOr('Role objects gone', () => get([ROLES, '-n', NS]).items.length === 0, 60_000);
    await waitOr('IAM roles gone', async () => (await rolesInMoto()).length === 0, 60_000);
  });
});
