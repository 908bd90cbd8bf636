import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../../api/platform.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { renderPlatform } from '../../render/index.ts';
import { uploadsBucketName } from '../../render/ack/s3.ts';
import type { RenderContext } from '../../render/names.ts';
import { MANAGED_ROLE_ANNOTATION } from '../../render/workload.ts';
import { platform, rawPlatform, set, withDatabase, withMcp, withProvisioner, withUploads, type Modifier } from '../../../test/fixtures/platform.ts';
import { ACK_IAM, ackRole, ackRoleState } from './ack.ts';
import { managedRoles, normalizePolicy, oidcIssuer, partition, rolePath, roleName, secretArn, trustPolicy, type ManagedRole, type Statement } from './policies.ts';

const CTX: RenderContext = { clusterName: 'prod-eu-1' };
const ACCOUNT = '111122223333';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`;
const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const AGENT = `arn:aws:bedrock:us-east-1:${ACCOUNT}:agent-alias/AGENT12345/ALIAS12345`;

const withIam = (iam: Record<string, unknown> = {}): Modifier => (spec) => {
  set('iam', iam)(spec);
  set('aws.accountId', ACCOUNT)(spec);
};
const llm = { name: 'llm', image: 'registry.example/llm:1', port: 7001, bedrock: { modelIds: [CLAUDE], agentAliasArns: [AGENT] } };
const calendar = { name: 'calendar', image: 'registry.example/cal:1', port: 7002 };
const chatbot = {
  name: 'chatbot',
  image: 'registry.example/bot:1',
  port: 8080,
  iamPolicy: { statements: [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:bookings`] }] },
};
const withSecrets = (...ids: string[]): Modifier => set('secrets', { entries: ids.map((secretId, i) => ({ name: `KEY_${i}`, secretsManager: { secretId } })) });

/** The full platform of these tests: uploads, secrets, an LLM MCP server, a plain one, a service with its own policy. */
function full(...mods: Modifier[]): BookingPlatform {
  return platform('shop', withIam(), withUploads(), withSecrets('shop/jwt', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:shop/api-key-AbCdEf`), withMcp(llm, calendar), set('services', [chatbot]), ...mods);
}

const roles = (p: BookingPlatform, masterUserSecretArn?: string) => new Map(managedRoles(p, CTX, { masterUserSecretArn }).map((r) => [r.component, r]));
const resources = (r: ManagedRole | undefined) => (r?.policy.Statement ?? []).flatMap((s) => s.Resource ?? []);
const actions = (r: ManagedRole | undefined) => (r?.policy.Statement ?? []).flatMap((s) => s.Action);

describe('managedRoles: which components get a role', () => {
  it.each([
    { name: 'no iam section: none', p: () => platform('shop', withUploads(), withMcp(calendar)), want: [] },
    { name: 'the backend (uploads), the LLM server, the service that asks; not the MCP server that asks nothing', p: () => full(), want: ['backend', 'mcp-llm', 'chatbot'] },
    { name: 'a backend with nothing to reach gets no role', p: () => platform('shop', withIam(), set('uploads', { enabled: false })), want: [] },
    { name: 'a given backend role wins', p: () => full(set('backend.iamRoleArn', `arn:aws:iam::${ACCOUNT}:role/mine`)), want: ['mcp-llm', 'chatbot'] },
    { name: 'a disabled MCP server gets none (its role goes with its objects)', p: () => full(withMcp({ ...llm, enabled: false })), want: ['backend', 'chatbot'] },
  ])('$name', ({ p, want }) => {
    expect([...roles(p()).keys()]).toEqual(want);
  });

  it('names each role deterministically, ≤ 64 characters, under the platform’s own path', () => {
    const p = full();
    for (const r of managedRoles(p, CTX)) {
      expect(r.roleName).toBe(roleName(p, CTX, r.component));
      expect(r.roleName.length).toBeLessThanOrEqual(64);
      expect(r.roleName).toMatch(/^[\w+=,.@-]+$/);
      expect(r.serviceAccount).toBe(`shop-${r.component}`);
    }
    expect(rolePath(p, CTX)).toMatch(/^\/booking\/[0-9a-f]{10}\/$/);
    // another cluster, another name and path: platforms of two clusters never share a role
    expect(roleName(p, { clusterName: 'other' }, 'backend')).not.toBe(roleName(p, CTX, 'backend'));
    expect(rolePath(p, { clusterName: 'other' })).not.toBe(rolePath(p, CTX));
    const long = platform('a'.repeat(30), withIam(), withUploads(), withMcp({ ...llm, name: 'b'.repeat(20) }));
    for (const r of managedRoles(long, CTX)) expect(r.roleName.length).toBeLessThanOrEqual(64);
  });
});

describe('least privilege', () => {
  const p = full();
  const bucket = `arn:aws:s3:::${uploadsBucketName(p, CTX)}`;
  const byComponent = roles(p, `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-1234-AbCdEf`);

  it.each([
    {
      component: 'backend',
      statements: [
        { Sid: 'UploadsBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
        { Sid: 'UploadsObjects', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: [`${bucket}/*`] },
        {
          Sid: 'PlatformSecrets',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [
            `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:shop/jwt-??????`,
            `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:shop/api-key-AbCdEf`,
            `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-1234-AbCdEf`,
          ],
        },
      ],
    },
    {
      component: 'mcp-llm',
      statements: [
        { Sid: 'BedrockModels', Effect: 'Allow', Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], Resource: [`arn:aws:bedrock:us-east-1::foundation-model/${CLAUDE}`] },
        { Sid: 'BedrockAgents', Effect: 'Allow', Action: ['bedrock:InvokeAgent'], Resource: [AGENT] },
      ],
    },
    { component: 'chatbot', statements: [{ Sid: 'Asked0', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [`arn:aws:sqs:us-east-1:${ACCOUNT}:bookings`] }] },
  ] as Array<{ component: string; statements: Statement[] }>)('$component: exactly its statements', ({ component, statements }) => {
    expect(byComponent.get(component)?.policy).toEqual({ Version: '2012-10-17', Statement: statements });
  });

  it('no statement has a * resource or a * action, and every resource is an ARN', () => {
    for (const r of byComponent.values()) {
      for (const s of r.policy.Statement) {
        expect(s.Resource?.length).toBeGreaterThan(0);
        for (const res of s.Resource!) expect(res).toMatch(/^arn:aws:[a-z0-9-]+:/);
        for (const a of s.Action) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      }
    }
  });

  it('each component reaches only its own resources: none names another component’s', () => {
    const owners = new Map<string, string>();
    for (const [component, r] of byComponent) for (const res of resources(r)) owners.set(res, owners.has(res) ? 'shared' : component);
    expect([...owners.values()]).not.toContain('shared');
    expect(resources(byComponent.get('mcp-llm')).some((r) => r.startsWith('arn:aws:s3'))).toBe(false);
    expect(actions(byComponent.get('chatbot')).some((a) => a.startsWith('bedrock:') || a.startsWith('s3:'))).toBe(false);
  });

  it('another platform’s bucket and secrets never appear in this one’s backend policy', () => {
    const other = platform('other', withIam(), withUploads(), withSecrets('other/jwt'));
    const mine = resources(roles(p).get('backend'));
    for (const res of resources(roles(other).get('backend'))) expect(mine).not.toContain(res);
  });

  it('the RDS-managed master secret is named only when known, and the partition follows the region', () => {
    expect(resources(roles(p).get('backend')).some((r) => r.includes('rds!'))).toBe(false);
    expect(partition('cn-north-1')).toBe('aws-cn');
    expect(partition('us-gov-west-1')).toBe('aws-us-gov');
    expect(secretArn('aws-cn', 'cn-north-1', ACCOUNT, 'x')).toBe(`arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:x-??????`);
    const cn = platform('shop', withIam(), withUploads(), set('aws.region', 'cn-north-1'));
    expect(resources(roles(cn).get('backend'))[0]).toMatch(/^arn:aws-cn:s3:::/);
  });
});

describe('trust', () => {
  it('IRSA: the cluster’s OIDC provider, this ServiceAccount only, the STS audience', () => {
    const issuer = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    expect(oidcIssuer(OIDC)).toBe(issuer);
    expect(trustPolicy({ kind: 'irsa', oidcProviderArn: OIDC }, 'shop', 'shop-backend')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: OIDC },
          Action: ['sts:AssumeRoleWithWebIdentity'],
          Condition: { StringEquals: { [`${issuer}:sub`]: 'system:serviceaccount:shop:shop-backend', [`${issuer}:aud`]: 'sts.amazonaws.com' } },
        },
      ],
    });
  });

  it('Pod Identity: the EKS service, AssumeRole + TagSession, bound to this cluster, namespace and ServiceAccount', () => {
    const t = trustPolicy({ kind: 'podIdentity', eksClusterName: 'prod' }, 'shop', 'shop-mcp-llm');
    expect(t.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'aws:RequestTag/eks-cluster-name': 'prod', 'aws:RequestTag/kubernetes-namespace': 'shop', 'aws:RequestTag/kubernetes-service-account': 'shop-mcp-llm' } },
      },
    ]);
  });

  it('a non-OIDC ARN is refused', () => {
    expect(() => oidcIssuer(`arn:aws:iam::${ACCOUNT}:role/x`)).toThrow(/not an OIDC provider ARN/);
  });
});

describe('normalizePolicy', () => {
  it('reads IAM’s single-string forms and key order as the same document', () => {
    const ours = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] }] };
    const iams = '{"Statement":{"Resource":"arn:aws:s3:::b/*","Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}';
    expect(normalizePolicy(iams)).toEqual(normalizePolicy(ours));
    expect(normalizePolicy({ ...ours, Statement: [{ ...ours.Statement[0], Action: ['s3:PutObject'] }] })).not.toEqual(normalizePolicy(ours));
  });
});

describe('ack path', () => {
  it('renders one ACK Role per managed role: name, path, trust, one inline policy, owner tags', () => {
    const p = full();
    const r = managedRoles(p, CTX)[0]!;
    const o = ackRole(p, CTX, { kind: 'irsa', oidcProviderArn: OIDC }, r);
    expect(o).toMatchObject({ apiVersion: ACK_IAM, kind: 'Role', metadata: { name: r.roleName, namespace: 'shop', annotations: { 'services.k8s.aws/deletion-policy': 'delete' } } });
    const spec = o.spec as Record<string, any>;
    expect(spec.name).toBe(r.roleName);
    expect(spec.path).toBe(rolePath(p, CTX));
    expect(JSON.parse(spec.assumeRolePolicyDocument).Statement[0].Condition.StringEquals).toMatchObject({ [`${oidcIssuer(OIDC)}:sub`]: 'system:serviceaccount:shop:shop-backend' });
    expect(JSON.parse(spec.inlinePolicies['booking-operator'])).toEqual(r.policy);
    expect(spec.tags).toEqual(expect.arrayContaining([{ key: 'booking.io/cluster', value: 'prod-eu-1' }, { key: 'booking.io/platform', value: 'shop/shop' }]));
    expect(o).toMatchSnapshot();
  });

  it.each([
    { name: 'absent', live: undefined, want: { ready: false, reason: 'Creating' } },
    { name: 'no ARN yet', live: { status: {} }, want: { ready: false, reason: 'Creating' } },
    { name: 'recoverable', live: { status: { conditions: [{ type: 'ACK.Recoverable', status: 'True', message: 'AccessDenied' }] } }, want: { ready: false, reason: 'ACKRecoverable' } },
    { name: 'terminal', live: { status: { ackResourceMetadata: { arn: 'arn:aws:iam::1:role/x' }, conditions: [{ type: 'ACK.Terminal', status: 'True', message: 'MalformedPolicyDocument' }] } }, want: { ready: false, reason: 'ACKTerminal', terminal: true } },
    { name: 'with its ARN, synced', live: { status: { ackResourceMetadata: { arn: 'arn:aws:iam::1:role/x' }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True' }] } }, want: { ready: true, arn: 'arn:aws:iam::1:role/x' } },
  ])('a Role $name', ({ live, want }) => {
    expect(ackRoleState('x', live)).toMatchObject(want);
  });
});

describe('rendering the managed role', () => {
  const p = full();
  const arn = `arn:aws:iam::${ACCOUNT}:role/managed-backend`;
  const sa = (objs: ReturnType<typeof renderPlatform>, name: string) => objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name);
  const deploy = (objs: ReturnType<typeof renderPlatform>, name: string) => objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as any;

  it('IRSA: the ServiceAccount carries the managed ARN and the pods roll once it exists', () => {
    const objs = renderPlatform(p, { roleArns: { backend: arn } }, CTX);
    expect(sa(objs, 'shop-backend')?.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': arn });
    expect(deploy(objs, 'shop-backend').spec.template.metadata.annotations[MANAGED_ROLE_ANNOTATION]).toBe(arn);
    // no fact yet: no annotation (not an empty or made-up one)
    expect(sa(renderPlatform(p, {}, CTX), 'shop-backend')?.metadata.annotations).toBeUndefined();
  });

  it('a role given in the spec wins over a managed one', () => {
    const given = `arn:aws:iam::${ACCOUNT}:role/given`;
    const objs = renderPlatform(full(withMcp({ ...calendar, iamRoleArn: given })), { roleArns: { 'mcp-calendar': arn } }, CTX);
    expect(sa(objs, 'shop-mcp-calendar')?.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': given });
    expect(deploy(objs, 'shop-mcp-calendar').spec.template.metadata.annotations?.[MANAGED_ROLE_ANNOTATION]).toBeUndefined();
  });

  it('Pod Identity: no ServiceAccount annotation, the pods still roll once the association exists', () => {
    const pi = full(withProvisioner('sdk'), set('iam', { trust: 'podIdentity' }));
    const objs = renderPlatform(pi, { roleArns: { 'mcp-llm': arn } }, CTX);
    expect(sa(objs, 'shop-mcp-llm')?.metadata.annotations).toBeUndefined();
    expect(deploy(objs, 'shop-mcp-llm').spec.template.metadata.annotations[MANAGED_ROLE_ANNOTATION]).toBe(arn);
  });
});

describe('schema', () => {
  it('accepts a platform with managed IAM, Bedrock and a service policy', () => {
    expect(parsePlatform(rawPlatform('shop', withIam(), withUploads(), withDatabase({ credentials: { mode: 'managed' } }), withMcp(llm), set('services', [chatbot])))).toMatchObject({ ok: true });
  });

  it('defaults: mode managed, trust irsa, Bedrock InvokeModel and its streaming form', () => {
    const p = full();
    expect(p.spec.iam).toEqual({ mode: 'managed', trust: 'irsa' });
    expect(p.spec.mcpServers![0]!.bedrock!.actions).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    expect(p.spec.services![0]!.iamPolicy!.statements[0]!.effect).toBe('Allow');
  });
});
