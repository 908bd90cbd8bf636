/**
 * The admin sign-in's Cognito user pool (`ingress.adminAuth.cognito.create`, provisioner sdk):
 * a pool with the seed's policy, an app client for the ALB and a domain, by deterministic names
 * and owner tags, the policy's drift corrected, and its removal by deletionPolicy.
 *
 * Cognito has no client token for CreateUserPool: the pool is found by its name (and owner tags),
 * the create is sent once without SDK retries, so a lost answer is found on the next pass; a list
 * cut off by its page bound is an error, never "not found" (that would create a second pool). The
 * app client's secret is never read into a message, a log line or a return value: the ALB reads
 * it from Cognito itself.
 *
 * UpdateUserPool resets every setting it is not sent, so a correction sends the pool as described
 * with the policy over it; tags are corrected by TagResource alone.
 */
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolClientCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
  TagResourceCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
  type UpdateUserPoolCommandInput,
  type UserPoolClientDescription,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, usableNotConverged, type ServiceState } from '../data/types.ts';
import { awsName, awsTags, shortHash } from '../render/names.ts';
import type { AwsClients } from './clients.ts';
import { notOwned, ownedBy, sameSet, type AwsContext, type Step } from './context.ts';
import { once } from './efs.ts';
import { AwsCallError, call, callOr } from './errors.ts';

/** The seed's policy: admins are created by an admin, sign in by e-mail, 12+ characters of all four classes, TOTP offered. */
export const ADMIN_PASSWORD_POLICY = { MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7 };
export const ADMIN_OAUTH_SCOPES = ['openid', 'email'];
/** Pages (60 each) looked through for the pool's name (ListUserPools) and its app client (ListUserPoolClients). */
const MAX_PAGES = 50;

export interface UserPoolIds {
  userPoolArn: string;
  userPoolClientId: string;
  userPoolDomain: string;
}

export const userPoolName = (p: BookingPlatform, ctx: AwsContext) => awsName(p, ctx.render, 'admin', 128);
export const userPoolClientName = (p: BookingPlatform, ctx: AwsContext) => awsName(p, ctx.render, 'admin-alb', 128);
/**
 * The domain prefix of a pool that has none yet. Prefixes are unique per region across all AWS
 * accounts, so the account is hashed in too (two accounts whose clusters share a name would
 * collide otherwise; the hash, not the id, so the public URL does not show the account). A pool
 * keeps the domain it has (DescribeUserPool's Domain), whatever this formula said when it was made.
 * A prefix may not contain aws, amazon or cognito (the hashes, hex, cannot).
 */
export const userPoolDomainPrefix = (p: BookingPlatform, ctx: AwsContext, account: string) =>
  awsName(p, ctx.render, `admin-${shortHash(account, 8)}`, 63).replace(/aws|amazon|cognito/g, 'x');

/** GetCallerIdentity's account per STS client (the operator's credentials do not change account). */
const callerAccounts = new WeakMap<AwsClients['sts'], Promise<string>>();

/** The platform's AWS account: spec.aws.accountId, else the operator's own (STS, asked once per client). */
export async function accountOf(ctx: AwsContext, p: BookingPlatform): Promise<string> {
  if (p.spec.aws?.accountId) return p.spec.aws.accountId;
  const sts = ctx.clients.sts;
  let account = callerAccounts.get(sts);
  if (!account) {
    account = call('GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}))).then((out) => {
      if (!out.Account) throw new AwsCallError('GetCallerIdentity', new Error('the answer names no account'));
      return out.Account;
    });
    callerAccounts.set(sts, account);
    // a failure is not kept: the next pass asks again
    account.catch(() => callerAccounts.delete(sts));
  }
  return account;
}

/** More pages than MAX_PAGES: retried, never read as "not there" (which would create a second pool or client). */
function pageBound(action: string, what: string): AwsCallError {
  const err = Object.assign(new Error(`more than ${MAX_PAGES} pages (${MAX_PAGES * 60} ${what}) without finding it; not creating another`), { name: 'PageBoundReached' });
  return new AwsCallError(action, err);
}

type Policy = 'Retain' | 'Delete';

/** The operator's policy for the pool: sent on create, and laid over the described pool on a correction. */
function poolPolicy(policy: Policy) {
  return {
    Policies: { PasswordPolicy: ADMIN_PASSWORD_POLICY },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    AutoVerifiedAttributes: ['email' as const],
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email' as const, Priority: 1 }] },
    // Retain: the pool outlives the platform, so nobody deletes it by accident either
    DeletionProtection: policy === 'Retain' ? ('ACTIVE' as const) : ('INACTIVE' as const),
  };
}

/** The settings UpdateUserPool takes that DescribeUserPool returns: an update not sending one resets it. */
const UPDATABLE = [
  'Policies', 'DeletionProtection', 'LambdaConfig', 'AutoVerifiedAttributes', 'SmsVerificationMessage', 'EmailVerificationMessage',
  'EmailVerificationSubject', 'VerificationMessageTemplate', 'SmsAuthenticationMessage', 'UserAttributeUpdateSettings', 'MfaConfiguration',
  'DeviceConfiguration', 'EmailConfiguration', 'SmsConfiguration', 'UserPoolTags', 'AdminCreateUserConfig', 'UserPoolAddOns', 'DcrConfiguration',
  'AccountRecoverySetting', 'UserPoolTier', 'KeyConfiguration', 'IssuerConfiguration',
] as const satisfies ReadonlyArray<keyof UpdateUserPoolCommandInput & keyof UserPoolType>;
/** The older spellings of VerificationMessageTemplate's texts: sent only for a pool without the template, never both. */
const LEGACY_MESSAGES = new Set(['SmsVerificationMessage', 'EmailVerificationMessage', 'EmailVerificationSubject']);

/**
 * UpdateUserPool's input for a pool: every updatable setting as described (SES e-mail, Lambda
 * triggers, messages, SMS, add-ons, invitation template …), the policy over it. Cognito resets to
 * its defaults whatever an update does not send.
 */
export function updateInput(pool: UserPoolType, policy: ReturnType<typeof poolPolicy>, mfa: UpdateUserPoolCommandInput['MfaConfiguration']): UpdateUserPoolCommandInput {
  const described = Object.fromEntries(
    UPDATABLE.filter((k) => pool[k] !== undefined && !(pool.VerificationMessageTemplate && LEGACY_MESSAGES.has(k))).map((k) => [k, pool[k]]),
  ) as Partial<UpdateUserPoolCommandInput>;
  // deprecated, and refused beside PasswordPolicy.TemporaryPasswordValidityDays, which the policy sets
  const { UnusedAccountValidityDays: _deprecated, ...adminCreate } = pool.AdminCreateUserConfig ?? {};
  return {
    ...described,
    ...(pool.Name ? { PoolName: pool.Name } : {}),
    UserPoolId: pool.Id!,
    ...policy,
    Policies: { ...pool.Policies, PasswordPolicy: { ...pool.Policies?.PasswordPolicy, ...policy.Policies.PasswordPolicy } },
    AdminCreateUserConfig: { ...adminCreate, ...policy.AdminCreateUserConfig },
    ...(mfa ? { MfaConfiguration: mfa } : {}),
  };
}

function clientSettings(callbackUrl: string, scope: string) {
  const scopes = [...new Set([...ADMIN_OAUTH_SCOPES, ...scope.split(' ')])];
  return {
    AllowedOAuthFlows: ['code' as const],
    AllowedOAuthScopes: scopes,
    AllowedOAuthFlowsUserPoolClient: true,
    CallbackURLs: [callbackUrl],
    SupportedIdentityProviders: ['COGNITO'],
    ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH' as const],
  };
}

const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
/** The pool id in a user pool ARN (`…:userpool/<id>`). */
export const poolIdOfArn = (arn: string | undefined) => arn?.split('/').pop();

/**
 * Finds the platform's pool: the id recorded (a hint) when it is this pool, else by name.
 * Of several under the name (a create whose answer was lost) the oldest one this platform owns.
 */
async function findPool(ctx: AwsContext, p: BookingPlatform, hint?: string): Promise<UserPoolType | undefined> {
  const name = userPoolName(p, ctx);
  const describe = (id: string) => callOr(`DescribeUserPool ${id}`, () => ctx.clients.cognito.send(new DescribeUserPoolCommand({ UserPoolId: id })), ['ResourceNotFoundException'], undefined);
  if (hint) {
    const pool = (await describe(hint))?.UserPool;
    if (pool?.Name === name) return pool;
  }
  const ids: string[] = [];
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) throw pageBound('ListUserPools', 'user pools');
    const out = await call('ListUserPools', () => ctx.clients.cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken: token })));
    ids.push(...(out.UserPools ?? []).filter((u) => u.Name === name && u.Id).map((u) => u.Id!));
    token = out.NextToken;
    if (!token) break;
  }
  const pools = (await Promise.all(ids.map(async (id) => (await describe(id))?.UserPool))).filter((u): u is UserPoolType => Boolean(u));
  if (pools.length <= 1) return pools[0];
  const owned = pools.filter((u) => ownedBy(ctx, p, tagList(u.UserPoolTags))).sort((a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0));
  if (owned.length > 1) ctx.log.warn({ pools: owned.map((u) => u.Id) }, 'several user pools carry this platform\'s name and tags; the oldest is used, the others are left alone');
  return owned[0] ?? pools[0];
}

export interface AdminPoolObservation {
  state: ServiceState;
  ids?: UserPoolIds;
}

/**
 * Ensures the pool, its MFA, the app client and the domain, and corrects drift from the policy.
 * `known.poolId`: the pool recorded for this platform (a hint; the name and tags decide).
 * `known.record`: called with the pool's id as soon as it exists (created or found), before any
 * other call can fail, so a pool that never becomes usable is still removed by its policy.
 */
export async function observeAdminUserPool(
  ctx: AwsContext,
  p: BookingPlatform,
  want: { callbackUrl: string; scope: string; policy: Policy },
  known: { poolId?: string; record?: (poolId: string) => Promise<void> } = {},
): Promise<AdminPoolObservation> {
  const name = userPoolName(p, ctx);
  const policy = poolPolicy(want.policy);
  const tags = awsTags(p, ctx.render);
  let pool = await findPool(ctx, p, known.poolId);
  const corrections: string[] = [];
  if (!pool) {
    ctx.log.info({ pool: name }, 'creating the admin user pool');
    const out = await call(`CreateUserPool ${name}`, () =>
      ctx.clients.cognito.send(once(new CreateUserPoolCommand({ PoolName: name, UsernameAttributes: ['email'], UsernameConfiguration: { CaseSensitive: false }, ...policy, UserPoolTags: tags }))),
    );
    pool = out.UserPool!;
  } else if (!ownedBy(ctx, p, tagList(pool.UserPoolTags))) {
    return { state: notOwned(ctx, p, 'user pool', `${name} (${pool.Id})`, tagList(pool.UserPoolTags)) };
  }
  const id = pool.Id!;
  const arn = pool.Arn!;
  await known.record?.(id);

  // tags by TagResource: a tag change is no reason to send the whole pool (only ours are set; the
  // owner tags are there, or the pool would be NotOwned)
  const described = pool.UserPoolTags ?? {};
  const tagsOff = Object.fromEntries(Object.entries(tags).filter(([k, v]) => described[k] !== v));
  if (Object.keys(tagsOff).length) {
    corrections.push('tags');
    ctx.log.info({ pool: id, tags: Object.keys(tagsOff) }, 'correcting the admin user pool\'s tags');
    await call(`TagResource ${id}`, () => ctx.clients.cognito.send(new TagResourceCommand({ ResourceArn: arn, Tags: tagsOff })));
    pool = { ...pool, UserPoolTags: { ...described, ...tagsOff } };
  }
  // the policy: e-mail sign-in (UsernameAttributes) is set at creation and cannot change afterwards
  const drift = poolDrift(pool, policy);
  const mfa = await call(`GetUserPoolMfaConfig ${id}`, () => ctx.clients.cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: id })));
  const totpOn = mfa.SoftwareTokenMfaConfiguration?.Enabled === true;
  if (drift.length) {
    corrections.push(...drift);
    ctx.log.info({ pool: id, fields: drift }, 'correcting drift of the admin user pool');
    // OPTIONAL only while TOTP is on (MFA without any factor would be refused); else as it is, and SetUserPoolMfaConfig follows
    const input = updateInput(pool, policy, totpOn ? 'OPTIONAL' : pool.MfaConfiguration);
    await call(`UpdateUserPool ${id}`, () => ctx.clients.cognito.send(new UpdateUserPoolCommand(input)));
  }
  if (!totpOn || mfa.MfaConfiguration !== 'OPTIONAL' || drift.length) {
    if (!totpOn || mfa.MfaConfiguration !== 'OPTIONAL') corrections.push('MfaConfiguration');
    await call(`SetUserPoolMfaConfig ${id}`, () =>
      ctx.clients.cognito.send(new SetUserPoolMfaConfigCommand({ UserPoolId: id, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } })),
    );
  }
  const clientId = await ensureClient(ctx, p, id, want, corrections);
  const domain = await ensureDomain(ctx, p, pool);
  if (!domain.ready) return { state: domain.state };

  const ids = { userPoolArn: pool.Arn!, userPoolClientId: clientId, userPoolDomain: domain.domain };
  const message = `user pool ${id}, app client ${clientId}, domain ${domain.domain}`;
  return { state: corrections.length ? usableNotConverged(`${message}; corrected ${corrections.join(', ')}`) : ready(message), ids };
}

function poolDrift(pool: UserPoolType, want: ReturnType<typeof poolPolicy>): string[] {
  const out: string[] = [];
  const pw = pool.Policies?.PasswordPolicy ?? {};
  const w = want.Policies.PasswordPolicy;
  if (pw.MinimumLength !== w.MinimumLength || !pw.RequireUppercase || !pw.RequireLowercase || !pw.RequireNumbers || !pw.RequireSymbols) out.push('PasswordPolicy');
  if (pool.AdminCreateUserConfig?.AllowAdminCreateUserOnly !== true) out.push('AllowAdminCreateUserOnly');
  if (!sameSet(pool.AutoVerifiedAttributes ?? [], want.AutoVerifiedAttributes)) out.push('AutoVerifiedAttributes');
  if ((pool.DeletionProtection ?? 'INACTIVE') !== want.DeletionProtection) out.push('DeletionProtection');
  return out;
}

async function ensureClient(ctx: AwsContext, p: BookingPlatform, poolId: string, want: { callbackUrl: string; scope: string }, corrections: string[]): Promise<string> {
  const name = userPoolClientName(p, ctx);
  const settings = clientSettings(want.callbackUrl, want.scope);
  const found = (await listClients(ctx, poolId)).filter((c) => c.ClientName === name).map((c) => c.ClientId!).sort()[0];
  if (!found) {
    ctx.log.info({ pool: poolId, client: name }, 'creating the admin app client');
    const out = await call(`CreateUserPoolClient ${name}`, () =>
      ctx.clients.cognito.send(once(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: name, GenerateSecret: true, ...settings }))),
    );
    return out.UserPoolClient!.ClientId!;
  }
  const described = await call(`DescribeUserPoolClient ${found}`, () => ctx.clients.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: found })));
  // only the settings are read; the answer also carries the secret
  const c = described.UserPoolClient!;
  const drift = [
    !sameSet(c.AllowedOAuthFlows ?? [], settings.AllowedOAuthFlows) && 'AllowedOAuthFlows',
    !sameSet(c.AllowedOAuthScopes ?? [], settings.AllowedOAuthScopes) && 'AllowedOAuthScopes',
    c.AllowedOAuthFlowsUserPoolClient !== true && 'AllowedOAuthFlowsUserPoolClient',
    !sameSet(c.CallbackURLs ?? [], settings.CallbackURLs) && 'CallbackURLs',
    !sameSet(c.SupportedIdentityProviders ?? [], settings.SupportedIdentityProviders) && 'SupportedIdentityProviders',
  ].filter((x): x is string => Boolean(x));
  if (drift.length) {
    corrections.push(...drift.map((d) => `client ${d}`));
    ctx.log.info({ pool: poolId, client: found, fields: drift }, 'correcting drift of the admin app client');
    await call(`UpdateUserPoolClient ${found}`, () => ctx.clients.cognito.send(new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: found, ClientName: name, ...settings })));
  }
  return found;
}

/** Every app client of the pool, page by page (bounded: a cut-off list is an error, not "absent"). */
async function listClients(ctx: AwsContext, poolId: string): Promise<UserPoolClientDescription[]> {
  const all: UserPoolClientDescription[] = [];
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) throw pageBound(`ListUserPoolClients ${poolId}`, 'app clients');
    const out = await call(`ListUserPoolClients ${poolId}`, () => ctx.clients.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60, NextToken: token })));
    all.push(...(out.UserPoolClients ?? []));
    token = out.NextToken;
    if (!token) return all;
  }
}

/** The pool's domain (a prefix or custom domain it has), else ours created; a prefix another pool holds is terminal. */
async function ensureDomain(ctx: AwsContext, p: BookingPlatform, pool: UserPoolType): Promise<{ ready: true; domain: string } | { ready: false; state: ServiceState }> {
  const prefix = pool.Domain ?? userPoolDomainPrefix(p, ctx, await accountOf(ctx, p));
  const out = await call(`DescribeUserPoolDomain ${prefix}`, () => ctx.clients.cognito.send(new DescribeUserPoolDomainCommand({ Domain: prefix })));
  const d = out.DomainDescription;
  if (!d?.UserPoolId) {
    ctx.log.info({ pool: pool.Id, domain: prefix }, 'creating the admin user pool domain');
    await call(`CreateUserPoolDomain ${prefix}`, () => ctx.clients.cognito.send(new CreateUserPoolDomainCommand({ Domain: prefix, UserPoolId: pool.Id! })));
    return { ready: false, state: notReady('Creating', `user pool ${pool.Id}: domain ${prefix} created, waiting for it to be active`) };
  }
  if (d.UserPoolId !== pool.Id) return { ready: false, state: notReady('DomainTaken', `the domain prefix ${prefix} belongs to another user pool (${d.UserPoolId}); it is left alone`, true) };
  if (d.Status && d.Status !== 'ACTIVE') return { ready: false, state: notReady(d.Status === 'FAILED' ? 'Failed' : 'Creating', `user pool ${pool.Id}: domain ${prefix} is ${d.Status}`, d.Status === 'FAILED') };
  return { ready: true, domain: prefix };
}

/**
 * Deletes the platform's pool (policy Delete): its domain, its app client, then the pool; a pool
 * another platform owns is left alone.
 */
export async function deleteAdminUserPool(ctx: AwsContext, p: BookingPlatform, poolId?: string): Promise<Step> {
  const name = userPoolName(p, ctx);
  const pool = await findPool(ctx, p, poolId);
  if (!pool) return { done: true, message: `user pool ${name} deleted` };
  const id = pool.Id!;
  if (!ownedBy(ctx, p, tagList(pool.UserPoolTags))) return { done: true, message: `user pool ${name} (${id}) is not this platform's: left alone`, left: `user pool ${id}` };
  // protection is this operator's (on for Retain): the owner asked for Delete
  if (pool.DeletionProtection === 'ACTIVE') {
    await call(`UpdateUserPool ${id}`, () => ctx.clients.cognito.send(new UpdateUserPoolCommand({ ...updateInput(pool, poolPolicy('Retain'), undefined), DeletionProtection: 'INACTIVE' })));
  }
  if (pool.Domain) {
    const d = pool.Domain;
    await callOr(`DeleteUserPoolDomain ${d}`, () => ctx.clients.cognito.send(new DeleteUserPoolDomainCommand({ Domain: d, UserPoolId: id })), ['ResourceNotFoundException'], undefined);
  }
  const clientName = userPoolClientName(p, ctx);
  for (const c of (await listClients(ctx, id)).filter((x) => x.ClientName === clientName)) {
    await callOr(`DeleteUserPoolClient ${c.ClientId}`, () => ctx.clients.cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: id, ClientId: c.ClientId! })), ['ResourceNotFoundException'], undefined);
  }
  await callOr(`DeleteUserPool ${id}`, () => ctx.clients.cognito.send(new DeleteUserPoolCommand({ UserPoolId: id })), ['ResourceNotFoundException'], undefined);
  ctx.log.info({ pool: id }, 'admin user pool deleted');
  return { done: true, message: `user pool ${id} deleted with its app client and domain` };
}
