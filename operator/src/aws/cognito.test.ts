/**
 * The admin user pool's calls where moto cannot show the difference: what UpdateUserPool is sent
 * (real Cognito resets every setting it is not sent), tag drift, page bounds, the domain prefix per
 * account. A stubbed client answers; the moto path is operator/test/aws/admin-auth.test.ts.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  TagResourceCommand,
  UpdateUserPoolCommand,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { platform, set, withAdmin, withIngress, withProvisioner } from '../../test/fixtures/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { awsTags } from '../render/names.ts';
import type { AwsClients } from './clients.ts';
import { ADMIN_PASSWORD_POLICY, observeAdminUserPool, userPoolClientName, userPoolName } from './cognito.ts';
import type { AwsContext } from './context.ts';

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
const CALLBACK = 'https://admin.acme.example/oauth2/idpresponse';
const WANT = { callbackUrl: CALLBACK, scope: 'openid', policy: 'Retain' as const };
const POOL_ID = `${REGION}_Pool1`;

const acme = (...mods: Parameters<typeof platform>[1][]) =>
  platform('acme', withProvisioner('sdk'), withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme', adminAuth: { cognito: { create: {} } } }), ...mods);

/** A context whose Cognito and STS clients are stubs; STS says `account`. */
function stubbed(account = '111111111111', clusterName = 'prod') {
  const cognito = new CognitoIdentityProviderClient({ region: REGION, credentials });
  const sts = new STSClient({ region: REGION, credentials });
  const c = mockClient(cognito);
  const s = mockClient(sts);
  s.on(GetCallerIdentityCommand).resolves({ Account: account });
  const ctx: AwsContext = { clients: { cognito, sts } as unknown as AwsClients, region: REGION, log: pino({ level: 'silent' }), render: { clusterName } };
  return { ctx, c, s };
}

/** The pool as Cognito describes it once the operator has set it up, with `extra` over it. */
function describedPool(p: BookingPlatform, ctx: AwsContext, extra: Partial<UserPoolType> = {}): UserPoolType {
  return {
    Id: POOL_ID,
    Arn: `arn:aws:cognito-idp:${REGION}:111111111111:userpool/${POOL_ID}`,
    Name: userPoolName(p, ctx),
    Policies: { PasswordPolicy: ADMIN_PASSWORD_POLICY },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    AutoVerifiedAttributes: ['email'],
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    DeletionProtection: 'ACTIVE',
    MfaConfiguration: 'OPTIONAL',
    UserPoolTags: awsTags(p, ctx.render),
    ...extra,
  };
}

/** Answers for a pool that exists with its client; the domain as given (absent: none yet). */
function existing(stub: ReturnType<typeof stubbed>, p: BookingPlatform, pool: UserPoolType, domain?: { Domain: string; UserPoolId: string }) {
  const { c, ctx } = stub;
  c.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: pool.Id, Name: pool.Name }] });
  c.on(DescribeUserPoolCommand).resolves({ UserPool: pool });
  c.on(GetUserPoolMfaConfigCommand).resolves({ MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } });
  c.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [{ ClientId: 'client1', ClientName: userPoolClientName(p, ctx) }] });
  c.on(DescribeUserPoolClientCommand).resolves({
    UserPoolClient: { ClientId: 'client1', AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid', 'email'], AllowedOAuthFlowsUserPoolClient: true, CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['COGNITO'] },
  });
  c.on(DescribeUserPoolDomainCommand).resolves({ DomainDescription: domain ? { ...domain, Status: 'ACTIVE' } : {} });
  c.on(CreateUserPoolDomainCommand).resolves({});
  c.on(UpdateUserPoolCommand).resolves({});
  c.on(TagResourceCommand).resolves({});
}

/** The domain prefix the operator creates for a pool that has none. */
async function createdPrefix(stub: ReturnType<typeof stubbed>, p: BookingPlatform): Promise<string> {
  existing(stub, p, describedPool(p, stub.ctx));
  await observeAdminUserPool(stub.ctx, p, WANT);
  const created = stub.c.commandCalls(CreateUserPoolDomainCommand);
  expect(created).toHaveLength(1);
  return created[0]!.args[0].input.Domain!;
}

describe('the admin user pool domain prefix', () => {
  it('differs between AWS accounts for the same cluster, namespace and name (prefixes are unique per region across accounts)', async () => {
    const p = acme();
    const [a, b] = [stubbed('111111111111'), stubbed('222222222222')];
    const [prefixA, prefixB] = [await createdPrefix(a, p), await createdPrefix(b, p)];
    expect(prefixA).not.toBe(prefixB);
    for (const prefix of [prefixA, prefixB]) {
      expect(prefix.length).toBeLessThanOrEqual(63);
      expect(prefix).toMatch(/^[a-z0-9](-?[a-z0-9])*$/);
      expect(prefix).not.toMatch(/aws|amazon|cognito/);
    }
    // STS is asked once per client, then the answer is kept
    await observeAdminUserPool(a.ctx, p, WANT);
    expect(a.s.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it('takes spec.aws.accountId when set (no STS call)', async () => {
    const stub = stubbed('111111111111');
    const withAccount = await createdPrefix(stub, acme(set('aws.accountId', '333333333333')));
    expect(stub.s.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect(withAccount).not.toBe(await createdPrefix(stubbed('111111111111'), acme()));
  });

  it('keeps the domain a pool already has (pools made with the earlier prefix are neither orphaned nor given a second domain)', async () => {
    const stub = stubbed();
    const p = acme();
    existing(stub, p, describedPool(p, stub.ctx, { Domain: 'bkp-acme-acme-0123456789-admin' }), { Domain: 'bkp-acme-acme-0123456789-admin', UserPoolId: POOL_ID });
    const o = await observeAdminUserPool(stub.ctx, p, WANT);
    expect(o.ids?.userPoolDomain).toBe('bkp-acme-acme-0123456789-admin');
    expect(stub.c.commandCalls(CreateUserPoolDomainCommand)).toHaveLength(0);
    expect(stub.c.commandCalls(CreateUserPoolCommand)).toHaveLength(0);
  });
});

describe('drift correction of the admin user pool', () => {
  const domain = (p: BookingPlatform, ctx: AwsContext) => ({ Domain: 'acme-admins', UserPoolId: describedPool(p, ctx).Id! });

  it('sends UpdateUserPool the pool as described with the policy over it: SES, Lambda triggers, messages and add-ons stay', async () => {
    const stub = stubbed();
    const p = acme();
    const kept = {
      EmailConfiguration: { EmailSendingAccount: 'DEVELOPER' as const, SourceArn: `arn:aws:ses:${REGION}:111111111111:identity/acme.example`, From: 'Acme <no-reply@acme.example>' },
      LambdaConfig: { PreSignUp: `arn:aws:lambda:${REGION}:111111111111:function:pre-sign-up`, CustomMessage: `arn:aws:lambda:${REGION}:111111111111:function:message` },
      VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' as const, EmailSubject: 'Your Acme code', EmailMessage: 'Code: {####}' },
      SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::111111111111:role/sns', ExternalId: 'x1', SnsRegion: REGION },
      UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' as const },
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
    };
    // opened up by hand: short passwords, self sign-up, protection off; the invitation text is the owner's
    const pool = describedPool(p, stub.ctx, {
      ...kept,
      Policies: { PasswordPolicy: { MinimumLength: 6, PasswordHistorySize: 5 } },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, InviteMessageTemplate: { EmailSubject: 'Welcome to Acme', EmailMessage: 'User {username}, password {####}' } },
      DeletionProtection: 'INACTIVE',
    });
    existing(stub, p, pool, domain(p, stub.ctx));
    const o = await observeAdminUserPool(stub.ctx, p, WANT);
    expect(o.state).toMatchObject({ ready: true, reason: 'AvailableNotConverged' });

    const updates = stub.c.commandCalls(UpdateUserPoolCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0]!.args[0].input;
    expect(input).toMatchObject({ UserPoolId: POOL_ID, ...kept, DeletionProtection: 'ACTIVE', AutoVerifiedAttributes: ['email'], MfaConfiguration: 'OPTIONAL' });
    expect(input.Policies!.PasswordPolicy).toEqual({ ...ADMIN_PASSWORD_POLICY, PasswordHistorySize: 5 });
    expect(input.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true, InviteMessageTemplate: { EmailSubject: 'Welcome to Acme', EmailMessage: 'User {username}, password {####}' } });
    // the owner tags go along unchanged (an update without them would drop them where the API resets tags)
    expect(input.UserPoolTags).toEqual(pool.UserPoolTags);
    expect(stub.c.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('corrects tags with TagResource alone: a tag change sends no UpdateUserPool', async () => {
    const stub = stubbed();
    const p = acme(set('aws.tags', { team: 'bookings' }));
    const tags = { ...awsTags(p, stub.ctx.render), team: 'someone-else', 'cost-center': '42' };
    delete (tags as Record<string, string | undefined>)['booking.io/environment'];
    const pool = describedPool(p, stub.ctx, { UserPoolTags: tags as Record<string, string>, EmailConfiguration: { EmailSendingAccount: 'DEVELOPER', SourceArn: 'arn:aws:ses:eu-west-1:111111111111:identity/acme.example' } });
    existing(stub, p, pool, domain(p, stub.ctx));
    const o = await observeAdminUserPool(stub.ctx, p, WANT);
    expect(o.state).toMatchObject({ ready: true, reason: 'AvailableNotConverged', message: expect.stringContaining('tags') });
    expect(stub.c.commandCalls(UpdateUserPoolCommand)).toHaveLength(0);
    const tagged = stub.c.commandCalls(TagResourceCommand);
    expect(tagged).toHaveLength(1);
    expect(tagged[0]!.args[0].input).toEqual({ ResourceArn: pool.Arn, Tags: { team: 'bookings', 'booking.io/environment': p.spec.environment } });
  });
});

describe('bounded pagination', () => {
  it('a name not found within the page bound is an error to retry, never a second pool', async () => {
    const stub = stubbed();
    const p = acme();
    let page = 0;
    stub.c.on(ListUserPoolsCommand).callsFake(() => ({ UserPools: [{ Id: `${REGION}_Other${page}`, Name: `someone-elses-${page++}` }], NextToken: `token-${page}` }));
    stub.c.on(CreateUserPoolCommand).resolves({ UserPool: describedPool(p, stub.ctx) });
    await expect(observeAdminUserPool(stub.ctx, p, WANT)).rejects.toThrow(/ListUserPools.*(more|bound)/);
    expect(stub.c.commandCalls(CreateUserPoolCommand)).toHaveLength(0);
    expect(page).toBeGreaterThan(1);
  });

  it('looks through every page of app clients before creating one', async () => {
    const stub = stubbed();
    const p = acme();
    existing(stub, p, describedPool(p, stub.ctx), { Domain: 'acme-admins', UserPoolId: POOL_ID });
    stub.c
      .on(ListUserPoolClientsCommand)
      .resolvesOnce({ UserPoolClients: [{ ClientId: 'other', ClientName: 'someone-elses' }], NextToken: 'page-2' })
      .resolves({ UserPoolClients: [{ ClientId: 'client1', ClientName: userPoolClientName(p, stub.ctx) }] });
    const o = await observeAdminUserPool(stub.ctx, p, WANT);
    expect(o.ids?.userPoolClientId).toBe('client1');
    expect(stub.c.commandCalls(CreateUserPoolClientCommand)).toHaveLength(0);
    expect(stub.c.commandCalls(ListUserPoolClientsCommand).map((x) => x.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
  });
});
