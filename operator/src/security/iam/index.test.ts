/**
 * The iam part's decisions with a scripted IAM client (moto cannot refuse a call): which
 * platforms touch IAM at all (only those that have, or had, managed roles: the record on the
 * platform), that the record is written before the first CreateRole, how a permanent IAM refusal
 * ends (terminal, no requeue), and that the permissions boundary goes with every role.
 * The real calls against moto: operator/test/aws/iam.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import type { Config } from '../../config.ts';
import type { Obj } from '../../kube/client.ts';
import { platform, set, withMcp, withProvisioner } from '../../../test/fixtures/platform.ts';
import { fakeEnv, type FakeEnv } from '../../../test/fixtures/security-env.ts';
import { ackRole } from './ack.ts';
import { iamPart } from './index.ts';
import { managedRoles } from './policies.ts';
import { IAM_RECORD_ANNOTATION } from './record.ts';

const ACCOUNT = '111122223333';
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`;
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/booking-boundary`;
const config = (extra: Partial<Config> = {}): Config => ({ awsRegion: 'us-east-1', clusterName: 'test', oidcProviderArn: OIDC, ...extra }) as Config;

const awsError = (name: string, status: number) => Object.assign(new Error(`${name}: refused`), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });

type Handler = (input: Record<string, any>) => unknown;
/** An IAM client that answers from `handlers` by command name, logging each call into `log` (with the env's writes). */
function scriptedIam(log: string[], handlers: Record<string, Handler>, fallback: Handler = (i) => { throw awsError('AccessDenied', 403); void i; }): AwsClients {
  const send = async (cmd: { constructor: { name: string }; input: Record<string, any> }) => {
    const name = cmd.constructor.name.replace(/Command$/, '');
    log.push(`iam ${name}`);
    return (handlers[name] ?? fallback)(cmd.input);
  };
  return { iam: { send }, eks: { send }, rds: { send } } as unknown as AwsClients;
}

const sdkPlatform = (...mods: Parameters<typeof platform>[1][]): BookingPlatform => platform('shop', withProvisioner('sdk'), set('aws.accountId', ACCOUNT), ...mods);
const withIam = set('iam', {});
const tools = withMcp({ name: 'tools', image: 'i:1', port: 7001, iamPolicy: { statements: [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:q`] }] } });

/** The platform as stored (what env.raw holds), with its uid. */
function envFor(p: BookingPlatform): FakeEnv {
  const raw = structuredClone(p) as unknown as Obj;
  raw.metadata.uid = 'uid-1';
  raw.metadata.resourceVersion = '1';
  return fakeEnv(raw);
}
/** The platform as the next pass parses it: the spec given, the annotations stored now. */
const stored = (p: BookingPlatform, env: FakeEnv): BookingPlatform => ({ ...p, metadata: { ...p.metadata, annotations: { ...(env.raw.metadata.annotations as Record<string, string> | undefined) } } });

describe('a platform that never had managed roles makes no IAM call', () => {
  it('sdk without iam, operator without IAM rights: no finalizer need, observe ready, remove done, zero IAM calls', async () => {
    const calls: string[] = [];
    const part = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => scriptedIam(calls, {}) });
    const p = sdkPlatform();
    const env = envFor(p);
    expect(part.needsCleanup(p)).toBe(false);
    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: true });
    expect(o.requeueAfterMs).toBeUndefined();
    expect(await part.remove(p, env)).toMatchObject({ done: true });
    expect(calls).toEqual([]);
    expect(env.writes).toEqual([]);
  });
});

describe('the record of managed roles on the platform', () => {
  /** An IAM that creates roles and keeps nothing else. */
  const creating = (calls: string[], roles: Map<string, Record<string, any>>): AwsClients =>
    scriptedIam(calls, {
      GetRole: (i) => {
        const r = roles.get(i.RoleName);
        if (!r) throw awsError('NoSuchEntity', 404);
        return { Role: r };
      },
      CreateRole: (i) => {
        const r = { ...i, Arn: `arn:aws:iam::${ACCOUNT}:role${i.Path}${i.RoleName}`, ...(i.PermissionsBoundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: i.PermissionsBoundary } } : {}) };
        roles.set(i.RoleName, r);
        return { Role: r };
      },
      GetRolePolicy: () => {
        throw awsError('NoSuchEntity', 404);
      },
      PutRolePolicy: () => ({}),
      ListRoles: (i) => ({ Roles: [...roles.values()].filter((r) => r.Path === i.PathPrefix) }),
      ListRoleTags: (i) => ({ Tags: roles.get(i.RoleName)?.Tags ?? [] }),
      ListRolePolicies: () => ({ PolicyNames: ['booking-operator'] }),
      DeleteRolePolicy: () => ({}),
      ListAttachedRolePolicies: () => ({ AttachedPolicies: [] }),
      ListInstanceProfilesForRole: () => ({ InstanceProfiles: [] }),
      DeleteRole: (i) => roles.delete(i.RoleName),
    });

  it('is written before the first CreateRole; makes the platform need cleanup; goes once the roles are gone', async () => {
    const roles = new Map<string, Record<string, any>>();
    const env = envFor(sdkPlatform(withIam, tools));
    const part = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => creating(env.writes, roles) });
    const p = sdkPlatform(withIam, tools);
    // asking for iam is enough for the finalizer (it is added before anything is created)
    expect(part.needsCleanup(p)).toBe(true);

    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: true });
    const firstCreate = env.writes.indexOf('iam CreateRole');
    const record = env.writes.indexOf('patch BookingPlatform shop');
    expect(firstCreate).toBeGreaterThan(-1);
    expect(record).toBeGreaterThan(-1);
    expect(record).toBeLessThan(firstCreate);
    expect((env.raw.metadata.annotations as Record<string, string>)[IAM_RECORD_ANNOTATION]).toBe('irsa');

    // the iam section removed: the recorded roles go, then the record
    const without = stored(sdkPlatform(), env);
    expect(part.needsCleanup(without)).toBe(true);
    env.writes.length = 0;
    expect((await part.observe(without, env)).state).toMatchObject({ ready: true });
    expect(env.writes).toContain('iam DeleteRole');
    expect(roles.size).toBe(0);
    expect((env.raw.metadata.annotations as Record<string, string> | undefined)?.[IAM_RECORD_ANNOTATION]).toBeUndefined();

    // and from then on: no IAM call at all
    const after = stored(sdkPlatform(), env);
    expect(part.needsCleanup(after)).toBe(false);
    env.writes.length = 0;
    await part.observe(after, env);
    expect(await part.remove(after, env)).toMatchObject({ done: true });
    expect(env.writes).toEqual([]);
  });

  it('a platform deleted with the record: remove deletes the roles', async () => {
    const roles = new Map<string, Record<string, any>>();
    const p = sdkPlatform(withIam, tools);
    const env = envFor(p);
    const part = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => creating(env.writes, roles) });
    await part.observe(p, env);
    expect(roles.size).toBe(1);
    const deleting = stored(p, env);
    expect(part.needsCleanup(deleting)).toBe(true);
    expect(await part.remove(deleting, env)).toMatchObject({ done: true });
    expect(roles.size).toBe(0);
  });

  it('the record cannot be written: nothing is created', async () => {
    const roles = new Map<string, Record<string, any>>();
    const p = sdkPlatform(withIam, tools);
    const env = envFor(p);
    env.patchPlatform = async () => {
      throw Object.assign(new Error('Conflict'), { code: 409 });
    };
    const part = iamPart({ config: config(), log: pino({ level: 'silent' }), clients: () => creating(env.writes, roles) });
    const o = await part.observe(p, env);
    expect(o.state.ready).toBe(false);
    expect(env.writes).not.toContain('iam CreateRole');
    expect(roles.size).toBe(0);
  });

  it('with a permissions boundary setting, every role is created with it (sdk) and rendered with it (ack)', async () => {
    const roles = new Map<string, Record<string, any>>();
    const p = sdkPlatform(withIam, tools);
    const env = envFor(p);
    const part = iamPart({ config: config({ iamPermissionsBoundary: BOUNDARY }), log: pino({ level: 'silent' }), clients: () => creating(env.writes, roles) });
    await part.observe(p, env);
    expect([...roles.values()].map((r) => r.PermissionsBoundary?.PermissionsBoundaryArn)).toEqual([BOUNDARY]);

    const ack = platform('shop', set('aws.accountId', ACCOUNT), withIam, tools);
    const [role] = managedRoles(ack, env.ctx);
    expect(ackRole(ack, env.ctx, { kind: 'irsa', oidcProviderArn: OIDC }, role!, BOUNDARY).spec).toMatchObject({ permissionsBoundary: BOUNDARY });
    expect(ackRole(ack, env.ctx, { kind: 'irsa', oidcProviderArn: OIDC }, role!).spec).not.toHaveProperty('permissionsBoundary');
  });
});

describe('IAM refuses a document', () => {
  it('PutRolePolicy MalformedPolicyDocument is terminal and not retried on a timer', async () => {
    const calls: string[] = [];
    const p = sdkPlatform(withIam, tools);
    const env = envFor(p);
    const role = (i: Record<string, any>) => ({ ...i, Arn: `arn:aws:iam::${ACCOUNT}:role${i.Path}${i.RoleName}` });
    let created: Record<string, any> | undefined;
    const part = iamPart({
      config: config(),
      log: pino({ level: 'silent' }),
      clients: () =>
        scriptedIam(calls, {
          GetRole: () => {
            if (!created) throw awsError('NoSuchEntity', 404);
            return { Role: created };
          },
          CreateRole: (i) => ({ Role: (created = role(i)) }),
          GetRolePolicy: () => {
            throw awsError('NoSuchEntity', 404);
          },
          PutRolePolicy: () => {
            throw awsError('MalformedPolicyDocument', 400);
          },
          ListRoles: () => ({ Roles: [] }),
        }),
    });
    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: false, terminal: true, reason: 'AwsInvalidRequest' });
    expect(o.state.message).toMatch(/PutRolePolicy .*MalformedPolicyDocument/);
    expect(o.requeueAfterMs).toBeUndefined();
  });
});
