/**
 * Admin sign-in's Cognito user pool (`ingress.adminAuth.cognito.create`) against moto: created
 * with the seed's policy (read back call by call), an app client with a secret for the ALB and a
 * domain; a second pass writes nothing; drift of the policy and of the client is corrected; a pool
 * under our name that another platform owns is left alone; deletion and removal of the section
 * follow deletionPolicy. The client secret appears in no state, fact, Event or log line.
 */
import {
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import type { AwsClients } from '../../src/aws/clients.ts';
import { userPoolDomainPrefix } from '../../src/aws/cognito.ts';
import type { AwsContext } from '../../src/aws/context.ts';
import type { Config } from '../../src/config.ts';
import type { Obj } from '../../src/kube/client.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { awsName } from '../../src/render/names.ts';
import { adminAuthPart, USER_POOL_ANNOTATION } from '../../src/security/admin-auth/index.ts';
import type { PartObservation } from '../../src/security/types.ts';
import { fakeEnv, type FakeEnv } from '../fixtures/security-env.ts';
import { withAdmin, withIngress } from '../fixtures/platform.ts';
import { captureLog, CLUSTER, CTX, motoClients, REGION, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

let moto: Moto;
let aws: AwsClients;
let net: Network;
useMoto((env) => ({ moto, aws, net } = env));

const cognito = () => aws.cognito;
const config = () => ({ awsRegion: REGION, awsEndpoint: moto.endpoint, clusterName: CLUSTER }) as Config;

function setup(name: string, create: object = {}) {
  const p = sdkPlatform(name, net, withAdmin(), withIngress({ adminHost: `admin.${name}.example`, groupName: name, adminAuth: { cognito: { create } } }));
  const { log, lines } = captureLog();
  const part = adminAuthPart({ config: config(), log }, () => motoClients(moto.endpoint));
  const env = fakeEnv({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name, namespace: name, uid: `uid-${name}` }, spec: p.spec } as Obj);
  return { p, part, env, lines };
}

/** What the reconciler then applies: the admin Ingress rendered from the part's facts (the record the part reads back). */
function applyAdminIngress(env: FakeEnv, p: BookingPlatform, o: PartObservation): void {
  const admin = renderPlatform(p, o.facts ?? {}, CTX).find((x) => x.kind === 'Ingress' && x.metadata.name === `${p.metadata.name}-admin`);
  if (admin) env.put(admin as unknown as Obj);
}

/** Passes as the reconciler runs them (the admin Ingress applied after each) until ready or terminal; at most 4. */
async function converge(part: ReturnType<typeof adminAuthPart>, p: BookingPlatform, env: FakeEnv): Promise<PartObservation & { passes: number }> {
  for (let passes = 1; passes <= 4; passes++) {
    const o = await part.observe(p, env);
    applyAdminIngress(env, p, o);
    if (o.state.ready || o.state.terminal) return { ...o, passes };
  }
  throw new Error('not ready after 4 passes');
}

const poolsNamed = async (name: string) => ((await cognito().send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools ?? []).filter((u) => u.Name === name);
const describePool = async (id: string) => (await cognito().send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool!;
const idOf = (arn: string) => arn.split('/').pop()!;

describe('a created admin user pool', () => {
  it('has the seed’s policy, an app client for the ALB with a secret, and a domain; the ids reach the admin Ingress', async () => {
    const { p, part, env, lines } = setup('signin');
    const o = await converge(part, p, env);
    // the domain is created, then looked at again (it is CREATING at first in AWS)
    expect(o.passes).toBe(2);
    expect(o.state).toMatchObject({ ready: true, reason: 'Available' });
    const ids = o.facts!.adminAuth!.cognito!;
    const id = idOf(ids.userPoolArn);

    const pool = await describePool(id);
    expect(pool.Name).toBe(awsName(p, CTX, 'admin', 128));
    expect(pool.Policies!.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true });
    expect(pool.AdminCreateUserConfig!.AllowAdminCreateUserOnly).toBe(true);
    expect(pool.UsernameAttributes).toEqual(['email']);
    expect(pool.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool.DeletionProtection).toBe('ACTIVE');
    expect(pool.UserPoolTags).toMatchObject({ 'booking.io/cluster': CLUSTER, 'booking.io/platform': 'signin/signin' });
    const mfa = await cognito().send(new GetUserPoolMfaConfigCommand({ UserPoolId: id }));
    expect(mfa.MfaConfiguration).toBe('OPTIONAL');
    expect(mfa.SoftwareTokenMfaConfiguration).toEqual({ Enabled: true });

    const client = (await cognito().send(new DescribeUserPoolClientCommand({ UserPoolId: id, ClientId: ids.userPoolClientId }))).UserPoolClient!;
    expect(client.ClientSecret).toBeTruthy();
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.CallbackURLs).toEqual(['https://admin.signin.example/oauth2/idpresponse']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);

    const account = (await aws.sts.send(new GetCallerIdentityCommand({}))).Account!;
    expect(ids.userPoolDomain).toBe(userPoolDomainPrefix(p, { render: CTX } as AwsContext, account));
    // recorded on the platform as soon as it existed: what removal and deletion act on
    expect(JSON.parse((env.raw.metadata.annotations as Record<string, string>)[USER_POOL_ANNOTATION]!)).toEqual({ userPoolId: id, deletionPolicy: 'Retain' });
    expect((await cognito().send(new DescribeUserPoolDomainCommand({ Domain: ids.userPoolDomain }))).DomainDescription!.UserPoolId).toBe(id);

    // the rendered admin Ingress carries the ids, never the secret
    const ing = env.find('networking.k8s.io/v1', 'Ingress', 'signin', 'signin-admin')!;
    expect(JSON.parse((ing.metadata.annotations as Record<string, string>)['alb.ingress.kubernetes.io/auth-idp-cognito']!)).toEqual({ userPoolARN: ids.userPoolArn, userPoolClientID: ids.userPoolClientId, userPoolDomain: ids.userPoolDomain });
    const secret = client.ClientSecret!;
    expect(JSON.stringify([o, ing, env.events])).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);

    // a second pass finds everything by its record and name: nothing created, nothing corrected
    const again = await part.observe(p, env);
    expect(again.state).toMatchObject({ ready: true, reason: 'Available' });
    expect(again.facts).toEqual(o.facts);
    expect(again.requeueAfterMs).toBeUndefined();
    expect(await poolsNamed(pool.Name!)).toHaveLength(1);
    expect((await cognito().send(new ListUserPoolClientsCommand({ UserPoolId: id, MaxResults: 60 }))).UserPoolClients).toHaveLength(1);
  });

  it('corrects drift of the policy, the MFA and the app client', async () => {
    const { p, part, env } = setup('drift', { deletionPolicy: 'Delete' });
    const first = await converge(part, p, env);
    const { userPoolArn, userPoolClientId } = first.facts!.adminAuth!.cognito!;
    const id = idOf(userPoolArn);
    expect((await describePool(id)).DeletionProtection).toBe('INACTIVE');
    // someone opens the pool up: self sign-up, 6-character passwords, no MFA, another callback
    // (UpdateUserPool resets what it is not sent: a console edit sends the tags along; without them the pool reads NotOwned);
    // the owner's own settings beside the policy (a Lambda trigger, SES e-mail, the invitation) must survive the correction
    const { UserPoolTags } = await describePool(id);
    const owners = {
      LambdaConfig: { PreTokenGeneration: 'arn:aws:lambda:us-east-1:123456789012:function:claims' },
      EmailConfiguration: { EmailSendingAccount: 'DEVELOPER' as const, SourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/drift.example' },
    };
    const invite = { EmailSubject: 'Welcome, admin', EmailMessage: 'User {username}, password {####}' };
    await cognito().send(new UpdateUserPoolCommand({ UserPoolId: id, UserPoolTags, ...owners, Policies: { PasswordPolicy: { MinimumLength: 6 } }, AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, InviteMessageTemplate: invite } }));
    await cognito().send(new SetUserPoolMfaConfigCommand({ UserPoolId: id, MfaConfiguration: 'OFF' }));
    await cognito().send(new UpdateUserPoolClientCommand({ UserPoolId: id, ClientId: userPoolClientId, CallbackURLs: ['https://evil.example/oauth2/idpresponse'] }));

    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: true, reason: 'AvailableNotConverged' });
    expect(o.state.message).toContain('PasswordPolicy');
    expect(o.requeueAfterMs).toBeGreaterThan(0);
    const pool = await describePool(id);
    expect(pool.Policies!.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true });
    expect(pool.AdminCreateUserConfig!.AllowAdminCreateUserOnly).toBe(true);
    expect(pool).toMatchObject({ ...owners, AdminCreateUserConfig: { InviteMessageTemplate: invite } });
    const mfa = await cognito().send(new GetUserPoolMfaConfigCommand({ UserPoolId: id }));
    expect([mfa.MfaConfiguration, mfa.SoftwareTokenMfaConfiguration?.Enabled]).toEqual(['OPTIONAL', true]);
    const client = (await cognito().send(new DescribeUserPoolClientCommand({ UserPoolId: id, ClientId: userPoolClientId }))).UserPoolClient!;
    expect(client.CallbackURLs).toEqual(['https://admin.drift.example/oauth2/idpresponse']);
    // and then it is converged
    expect((await part.observe(p, env)).state).toMatchObject({ ready: true, reason: 'Available' });
  });

  it('leaves a pool under its name that another platform owns untouched (NotOwned)', async () => {
    const { p, part, env } = setup('foreign');
    const name = awsName(p, CTX, 'admin', 128);
    const made = await cognito().send(new CreateUserPoolCommand({ PoolName: name, Policies: { PasswordPolicy: { MinimumLength: 6 } }, UserPoolTags: { 'booking.io/platform': 'other/shop', 'booking.io/cluster': 'other' } }));
    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: false, terminal: true, reason: 'NotOwned' });
    expect(o.state.message).toContain('booking.io/platform=other/shop');
    expect(o.facts?.adminAuth).toBeUndefined();
    const pool = await describePool(made.UserPool!.Id!);
    expect(pool.Policies!.PasswordPolicy!.MinimumLength).toBe(6);
    expect((await cognito().send(new ListUserPoolClientsCommand({ UserPoolId: pool.Id!, MaxResults: 60 }))).UserPoolClients).toEqual([]);
    // nor is it deleted with the platform
    const deleting: BookingPlatform = { ...p, spec: { ...p.spec, ingress: { ...p.spec.ingress!, adminAuth: { ...p.spec.ingress!.adminAuth!, cognito: { create: { deletionPolicy: 'Delete' } } } } } };
    expect(await part.remove(deleting, env)).toMatchObject({ done: true, message: expect.stringContaining('left alone') });
    expect(await poolsNamed(name)).toHaveLength(1);
  });
});

describe('deletion and removal follow deletionPolicy', () => {
  it('Retain (the default) leaves the pool with its accounts and says so in an Event', async () => {
    const { p, part, env } = setup('keep');
    await converge(part, p, env);
    const r = await part.remove(p, env);
    expect(r).toMatchObject({ done: true });
    expect(await poolsNamed(awsName(p, CTX, 'admin', 128))).toHaveLength(1);
    expect(env.events).toEqual([{ reason: 'UserPoolRetained', message: expect.stringContaining('deletionPolicy Retain') }]);
  });

  it('Delete removes the domain, the app client and the pool', async () => {
    const { p, part, env } = setup('gone', { deletionPolicy: 'Delete' });
    const o = await converge(part, p, env);
    const { userPoolDomain } = o.facts!.adminAuth!.cognito!;
    expect(await part.remove(p, env)).toMatchObject({ done: true, message: expect.stringContaining('deleted') });
    expect(await poolsNamed(awsName(p, CTX, 'admin', 128))).toEqual([]);
    expect((await cognito().send(new DescribeUserPoolDomainCommand({ Domain: userPoolDomain }))).DomainDescription ?? {}).toEqual({});
    // again: nothing left to do
    expect(await part.remove(p, env)).toMatchObject({ done: true });
  });

  it('removing the section carries out the policy recorded on the admin Ingress', async () => {
    const { p, part, env } = setup('removed', { deletionPolicy: 'Delete' });
    await converge(part, p, env);
    const name = awsName(p, CTX, 'admin', 128);
    expect(await poolsNamed(name)).toHaveLength(1);
    const without: BookingPlatform = { ...p, spec: { ...p.spec, ingress: { ...p.spec.ingress!, adminAuth: undefined } } };
    expect(part.wanted(without)).toBe(false);
    await part.observe(without, env);
    expect(await poolsNamed(name)).toEqual([]);
  });

  it('a pool whose domain never became usable (no admin Ingress) is still removed by its policy when the section goes', async () => {
    const { p, part, env } = setup('taken', { deletionPolicy: 'Delete' });
    // another account's pool holds the prefix this platform would take: DomainTaken, terminal
    const account = (await aws.sts.send(new GetCallerIdentityCommand({}))).Account!;
    const prefix = userPoolDomainPrefix(p, { render: CTX } as AwsContext, account);
    const squatter = (await cognito().send(new CreateUserPoolCommand({ PoolName: 'someone-else' }))).UserPool!.Id!;
    await cognito().send(new CreateUserPoolDomainCommand({ Domain: prefix, UserPoolId: squatter }));
    const o = await converge(part, p, env);
    expect(o.state).toMatchObject({ ready: false, terminal: true, reason: 'DomainTaken' });
    expect(env.find('networking.k8s.io/v1', 'Ingress', 'taken', 'taken-admin')).toBeUndefined();
    const name = awsName(p, CTX, 'admin', 128);
    expect(await poolsNamed(name)).toHaveLength(1);

    const without: BookingPlatform = { ...p, spec: { ...p.spec, ingress: { ...p.spec.ingress!, adminAuth: undefined } } };
    await part.observe(without, env);
    expect(await poolsNamed(name)).toEqual([]);
    // the record goes with the pool; the other pool and its domain are untouched
    expect((env.raw.metadata.annotations as Record<string, string> | undefined)?.[USER_POOL_ANNOTATION]).toBeUndefined();
    expect((await cognito().send(new DescribeUserPoolDomainCommand({ Domain: prefix }))).DomainDescription!.UserPoolId).toBe(squatter);
  });
});
