/**
 * Managed IAM roles on the rig. `sdk`: the running operator (provisioner sdk, moto as AWS) creates
 * one role per component, puts each role's ARN on its ServiceAccount, deletes the role of a
 * component that leaves, and deletes every role with the platform. `ack`: the ACK Role objects the
 * part renders pass server-side apply against the iam-controller's own CRD with strict field
 * validation (the operator applying, pruning and reading them is exercised by helm.test.ts).
 */
import { GetRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACK_IAM, ackRole } from '../../src/security/iam/ack.ts';
import { managedRoles, rolePath, roleName } from '../../src/security/iam/policies.ts';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { platform, set, withMcp, withUploads } from '../fixtures/platform.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const CLUSTER = 'iam-test';
const NS = 'iam-shop';
const ACCOUNT = '123456789012';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/RIG0123456789`;
let op: OperatorProcess;
let subnets: string[];
let sg: string;

beforeAll(async () => {
  const net = await motoNetwork(aws, '10.41.0.0/16');
  subnets = net.subnetIds;
  sg = net.securityGroupIds[0]!;
  kubectl(rig, ['create', 'namespace', NS]);
  kubectl(rig, ['create', 'namespace', 'iam-ack']);
  op = await startOperatorProcess(rig.kubeconfig, {
    identity: 'iam-test',
    env: { ...sdkOperatorEnv('iam-test', CLUSTER, rig.awsEndpoint!, REGION), WATCH_NAMESPACES: NS, BOOKING_OIDC_PROVIDER_ARN: OIDC },
    logDir: mkdtempSync(join(tmpdir(), 'iam-test-')),
  });
});
afterAll(async () => {
  await op?.stop();
  kubectl(rig, ['delete', 'namespace', 'iam-ack', '--wait=false']);
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const status = () => kubectl(rig, ['get', 'bkp', 'shop', '-n', NS, '-o', 'json']);
const cond = (type: string) => JSON.parse(status().stdout).status?.conditions?.find((c: any) => c.type === type);
const roleArnOf = (sa: string) => get(['serviceaccount', sa, '-n', NS]).metadata.annotations?.['eks.amazonaws.com/role-arn'];

const llm = { name: 'llm', image: 'registry.example/llm:1', port: 7001, bedrock: { modelIds: ['anthropic.claude-3-5-sonnet-20240620-v1:0'] } };
const chatbot = { name: 'chatbot', image: 'registry.example/bot:1', port: 8080, iamPolicy: { statements: [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:${REGION}:${ACCOUNT}:bookings`] }] } };

describe('managed IAM roles, provisioner sdk, through the running operator', () => {
  const spec = (services: unknown[]) => ({
    environment: 'staging',
    provisioner: 'sdk',
    aws: { region: REGION, accountId: ACCOUNT, subnetIds: subnets, securityGroupIds: [sg] },
    backend: { image: 'registry.example/backend:1.0.0' },
    whatsapp: { enabled: false },
    uploads: { enabled: true, deletionPolicy: 'Delete' },
    mcpServers: [llm],
    services,
    iam: {},
  });
  const doc = (services: unknown[]) => JSON.stringify({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'shop', namespace: NS }, spec: spec(services) });
  const local = () => platform('shop', (s) => Object.assign(s, spec([chatbot])));
  const shop = () => ({ ...local(), metadata: { name: 'shop', namespace: NS } });
  const ctx = { clusterName: CLUSTER };
  const rolesInMoto = async () => ((await aws.iam.send(new ListRolesCommand({ PathPrefix: rolePath(shop(), ctx) }))).Roles ?? []).map((r) => r.RoleName!).sort();

  it('creates a role per component and puts each ARN on its ServiceAccount', async () => {
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], doc([chatbot]));
    await waitUntil('IdentityReady', () => cond('IdentityReady')?.status === 'True', 90_000);
    const wanted = managedRoles(shop(), ctx);
    expect(wanted.map((r) => r.component)).toEqual(['backend', 'mcp-llm', 'chatbot']);
    expect(await rolesInMoto()).toEqual(wanted.map((r) => r.roleName).sort());
    for (const r of wanted) {
      const role = (await aws.iam.send(new GetRoleCommand({ RoleName: r.roleName }))).Role!;
      await waitUntil(`${r.serviceAccount} annotated`, () => roleArnOf(r.serviceAccount) === role.Arn, 30_000);
      // and its pods roll once the role exists (EKS injects credentials at pod creation)
      const name = r.component === 'mcp-llm' ? 'shop-mcp-llm' : `shop-${r.component}`;
      expect(get(['deployment', name, '-n', NS]).spec.template.metadata.annotations['platform.booking.io/iam-role']).toBe(role.Arn);
    }
    expect(get(['bkp', 'shop', '-n', NS]).metadata.finalizers).toContain('platform.booking.io/cleanup');
  });

  it('deletes the role of a component that leaves, keeps the others', async () => {
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], doc([]));
    const gone = roleName(shop(), ctx, 'chatbot');
    await waitUntil('the chatbot role deleted', async () => !(await rolesInMoto()).includes(gone), 60_000);
    expect(await rolesInMoto()).toEqual([roleName(shop(), ctx, 'backend'), roleName(shop(), ctx, 'mcp-llm')].sort());
    expect(cond('IdentityReady')?.status).toBe('True');
  });

  it('deleting the platform deletes its roles before the finalizer lets go', async () => {
    kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', NS, '--wait=false']);
    await waitUntil('platform gone', () => status().code !== 0, 90_000);
    expect(await rolesInMoto()).toEqual([]);
  });
});

describe('ACK Role objects against the iam-controller’s own CRD', () => {
  it('is the controller’s CRD (controller-gen), not a fixture', () => {
    const crd = get(['crd', 'roles.iam.services.k8s.aws']);
    expect(crd.metadata.annotations?.['controller-gen.kubebuilder.io/version']).toBeTruthy();
    expect(Object.keys(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties)).toEqual(expect.arrayContaining(['assumeRolePolicyDocument', 'inlinePolicies', 'path', 'tags']));
  });

  it('server-side apply with strict field validation accepts every rendered Role, and stores every field', () => {
    const p = platform('shop', set('aws.accountId', ACCOUNT), set('iam', {}), withUploads(), withMcp(llm), set('services', [chatbot]));
    const here = { ...p, metadata: { ...p.metadata, namespace: 'iam-ack' } };
    const objects = managedRoles(here, { clusterName: CLUSTER }).map((r) => ackRole(here, { clusterName: CLUSTER }, { kind: 'irsa', oidcProviderArn: OIDC }, r));
    expect(objects.map((o) => o.apiVersion)).toEqual([ACK_IAM, ACK_IAM, ACK_IAM]);
    const r = kubectl(rig, ['apply', '--server-side', '--validate=strict', '--field-manager=booking-operator', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const o of objects) expect(get(['roles.iam.services.k8s.aws', o.metadata.name, '-n', 'iam-ack']).spec).toEqual(o.spec);
  });
});
