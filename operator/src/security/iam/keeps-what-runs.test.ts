/**
 * The iam part when it cannot do what the spec asks this pass: the roles in use stay in use. A
 * configuration error on the `ack` path (no OIDC provider, a policy above IAM's limit) keeps the
 * live Role objects (never pruned: pruning makes ACK delete the IAM role) and hands over their
 * ARNs; on the `sdk` path a failed describe call keeps the component's ARN its ServiceAccount
 * carries. The state still says what is wrong.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import type { Config } from '../../config.ts';
import type { Obj } from '../../kube/client.ts';
import { platform, set, withDatabase, withMcp, withProvisioner, withUploads } from '../../../test/fixtures/platform.ts';
import { fakeEnv, type FakeEnv } from '../../../test/fixtures/security-env.ts';
import { ACK_IAM } from './ack.ts';
import { iamPart } from './index.ts';
import { managedRoles } from './policies.ts';

const ACCOUNT = '111122223333';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`;
const ARN = `arn:aws:iam::${ACCOUNT}:role/booking/abc/shop-backend`;
const config = (extra: Partial<Config> = {}): Config => ({ awsRegion: 'us-east-1', clusterName: 'test', ...extra }) as Config;
const log = pino({ level: 'silent' });

const withIam = set('iam', {});
const ackPlatform = (...mods: Parameters<typeof platform>[1][]): BookingPlatform => platform('shop', withProvisioner('ack'), set('aws.accountId', ACCOUNT), withIam, withUploads(), ...mods);
const sdkPlatform = (...mods: Parameters<typeof platform>[1][]): BookingPlatform => platform('shop', withProvisioner('sdk'), set('aws.accountId', ACCOUNT), withIam, withUploads(), ...mods);

function envFor(p: BookingPlatform): FakeEnv {
  const raw = structuredClone(p) as unknown as Obj;
  raw.metadata.uid = 'uid-1';
  raw.metadata.resourceVersion = '1';
  return fakeEnv(raw);
}

/** A component's Role as ACK left it after an earlier pass: synced, with its ARN. */
function liveRole(p: BookingPlatform, env: FakeEnv, component = 'backend'): string {
  const name = managedRoles(p, env.ctx).find((r) => r.component === component)!.roleName;
  env.put({
    apiVersion: ACK_IAM,
    kind: 'Role',
    metadata: { name, namespace: p.metadata.namespace! },
    spec: { name },
    status: { ackResourceMetadata: { arn: ARN }, conditions: [{ type: 'ACK.ResourceSynced', status: 'True' }] },
  } as unknown as Obj);
  return name;
}

/** The backend's ServiceAccount as an earlier pass applied it (IRSA annotation). */
function liveServiceAccount(p: BookingPlatform, env: FakeEnv): void {
  env.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `${p.metadata.name}-backend`, namespace: p.metadata.namespace!, annotations: { 'eks.amazonaws.com/role-arn': ARN } } } as Obj);
}

const awsError = (name: string, status: number) => Object.assign(new Error(`${name}: try again`), { name, $metadata: { httpStatusCode: status }, $fault: 'server' });

/** IAM and RDS answering by command name; an unknown command fails as AWS would when it is down. */
function scripted(handlers: Record<string, (input: Record<string, any>) => unknown>): AwsClients {
  const send = async (cmd: { constructor: { name: string }; input: Record<string, any> }) => {
    const h = handlers[cmd.constructor.name.replace(/Command$/, '')];
    if (!h) throw awsError('ServiceUnavailable', 503);
    return h(cmd.input);
  };
  return { iam: { send }, rds: { send }, eks: { send } } as unknown as AwsClients;
}

describe('ack: a configuration error keeps the Roles that exist and their ARNs', () => {
  it('no OIDC provider (a helm upgrade dropped iam.oidcProviderArn): the live Role is kept, its ARN handed over, the state says why', async () => {
    const p = ackPlatform();
    const env = envFor(p);
    const name = liveRole(p, env);
    const o = await iamPart({ config: config(), log }).observe(p, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'NoOidcProvider', terminal: true });
    expect(o.keep).toEqual([{ apiVersion: ACK_IAM, kind: 'Role', namespace: 'shop', name }]);
    expect(o.facts?.roleArns).toEqual({ backend: ARN });
    expect(o.objects ?? []).toEqual([]);
  });

  it('a policy above IAM\'s limit (one statement too many): the same', async () => {
    const queues = (i: number) => Array.from({ length: 20 }, (_, j) => `arn:aws:sqs:us-east-1:${ACCOUNT}:a-queue-with-a-rather-long-name-for-this-test-${i}-${j}`);
    const many = Array.from({ length: 10 }, (_, i) => ({ actions: ['sqs:SendMessage'], resources: queues(i) }));
    const p = ackPlatform(withMcp({ name: 'tools', image: 'i:1', port: 7001, iamPolicy: { statements: many } }));
    const env = envFor(p);
    const name = liveRole(p, env, 'mcp-tools');
    const o = await iamPart({ config: config({ oidcProviderArn: OIDC }), log }).observe(p, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'PolicyTooLarge' });
    expect(o.keep).toEqual([{ apiVersion: ACK_IAM, kind: 'Role', namespace: 'shop', name }]);
    expect(o.facts?.roleArns).toEqual({ 'mcp-tools': ARN });
  });

  it('no Role yet: nothing to keep, no ARN', async () => {
    const p = ackPlatform();
    const o = await iamPart({ config: config(), log }).observe(p, envFor(p));
    expect(o.keep ?? []).toEqual([]);
    expect(o.facts?.roleArns ?? {}).toEqual({});
  });
});

describe('sdk: a failed describe call keeps the ARN the component runs with', () => {
  it('GetRole fails: the backend keeps the ARN of its ServiceAccount, the state says why', async () => {
    const p = sdkPlatform();
    const env = envFor(p);
    liveServiceAccount(p, env);
    const o = await iamPart({ config: config({ oidcProviderArn: OIDC }), log, clients: () => scripted({ ListRoles: () => ({ Roles: [] }) }) }).observe(p, env);
    expect(o.state).toMatchObject({ ready: false });
    expect(o.facts?.roleArns).toEqual({ backend: ARN });
  });

  it('DescribeDBInstances fails (managed credentials): the same', async () => {
    const p = sdkPlatform(withDatabase({ credentials: { mode: 'managed' } }));
    const env = envFor(p);
    liveServiceAccount(p, env);
    const o = await iamPart({ config: config({ oidcProviderArn: OIDC }), log, clients: () => scripted({}) }).observe(p, env);
    expect(o.state).toMatchObject({ ready: false });
    expect(o.facts?.roleArns).toEqual({ backend: ARN });
  });
});
