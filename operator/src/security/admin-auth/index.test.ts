import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import type { Config } from '../../config.ts';
import type { Obj } from '../../kube/client.ts';
import { renderPlatform } from '../../render/index.ts';
import { fakeEnv } from '../../../test/fixtures/security-env.ts';
import { platform, withAdmin, withIngress, withProvisioner } from '../../../test/fixtures/platform.ts';
import { adminAuthPart } from './index.ts';

const oidc = { issuer: 'https://idp.example', authorizationEndpoint: 'https://idp.example/a', tokenEndpoint: 'https://idp.example/t', userInfoEndpoint: 'https://idp.example/u', clientSecretRef: { name: 'admin-oidc' } };
const ids = { userPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123', userPoolClientId: 'client123', userPoolDomain: 'acme-admins' };
const noAws = (() => {
  throw new Error('no AWS call expected');
}) as unknown as (region: string) => AwsClients;
const part = (config: Partial<Config> = {}) => adminAuthPart({ config: config as Config, log: pino({ level: 'silent' }) }, noAws);
const envFor = (p: BookingPlatform) => fakeEnv({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: 'u1' }, spec: p.spec } as Obj);
const secret = (data: Record<string, string>): Obj =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'admin-oidc', namespace: 'acme' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }) as Obj;
const putAdminIngress = (env: ReturnType<typeof envFor>, p: BookingPlatform, facts = {}) =>
  env.put(renderPlatform(p, facts).find((o) => o.metadata.name === 'acme-admin' && o.kind === 'Ingress') as unknown as Obj);

describe('admin sign-in part', () => {
  const withOidc = platform('acme', withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme', adminAuth: { oidc } }));

  it('OIDC: sign-in is in place only with a client Secret holding both keys', async () => {
    const env = envFor(withOidc);
    expect(await part().observe(withOidc, env)).toMatchObject({ state: { ready: false, reason: 'SecretNotFound' }, facts: {} });
    env.put(secret({ clientID: 'ui' }));
    const incomplete = await part().observe(withOidc, env);
    expect(incomplete).toMatchObject({ state: { ready: false, reason: 'SecretIncomplete', message: 'Secret admin-oidc lacks clientSecret' }, facts: {} });
    env.put(secret({ clientID: 'ui', clientSecret: 'the-secret-value' }));
    const o = await part().observe(withOidc, env);
    expect(o).toMatchObject({ state: { ready: true }, facts: { adminAuth: {} } });
    expect(JSON.stringify(o)).not.toContain('the-secret-value');
  });

  it('keeps a running admin Ingress while its sign-in check fails (no flapping of the admin UI)', async () => {
    const env = envFor(withOidc);
    putAdminIngress(env, withOidc, { adminAuth: {} });
    expect(await part().observe(withOidc, env)).toMatchObject({ state: { reason: 'SecretNotFound' }, facts: { adminAuth: {} } });
  });

  it('cognito.create without AWS access: terminal, and the ids the admin Ingress carries are kept', async () => {
    const p = platform('acme', withProvisioner('sdk'), withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme', adminAuth: { cognito: { create: {} } } }));
    const env = envFor(p);
    expect(await part().observe(p, env)).toMatchObject({ state: { ready: false, terminal: true, reason: 'ProvisionerUnavailable' }, facts: {} });
    putAdminIngress(env, p, { adminAuth: { cognito: ids } });
    expect(await part().observe(p, env)).toMatchObject({ facts: { adminAuth: { cognito: ids } } });
    expect(await part({ awsRegion: 'us-east-1' }).observe(p, env)).toMatchObject({ state: { reason: 'NoClusterName', terminal: true } });
  });

  it('a given pool needs no AWS call; a platform without adminAuth or a created pool makes none', async () => {
    const given = platform('acme', withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme', adminAuth: { cognito: ids } }));
    expect(await part().observe(given, envFor(given))).toMatchObject({ state: { ready: true }, facts: { adminAuth: {} } });
    const plain = platform('acme', withProvisioner('sdk'));
    expect(part().wanted(plain)).toBe(false);
    expect((await part().observe(plain, envFor(plain))).facts).toBeUndefined();
    expect(await part().remove(plain, envFor(plain))).toMatchObject({ done: true, message: 'no admin user pool was created' });
  });

  it('asks for the finalizer on sdk platforms only (a created pool can outlive its section)', () => {
    expect(part().needsCleanup(platform('acme', withProvisioner('sdk')))).toBe(true);
    expect(part().needsCleanup(withOidc)).toBe(false);
  });
});
