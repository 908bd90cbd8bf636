/**
 * Application secrets, delivery `operator`, against moto's Secrets Manager: entries synced into
 * `<platform>-app-secrets` (whole values, a JSON key, by name and by ARN), re-synced on schedule
 * after PutSecretValue (the values' hash, which rolls the consumers, changes), a missing JSON key
 * or secret named without its value; error answers moto cannot give come from aws-sdk-client-mock.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { createClients, type AwsClients } from '../../src/aws/clients.ts';
import type { Obj } from '../../src/kube/client.ts';
import { secretsPart } from '../../src/security/secrets/index.ts';
import type { PartObservation } from '../../src/security/types.ts';
import { platform, set } from '../fixtures/platform.ts';
import { fakeEnv, type FakeEnv } from '../fixtures/security-env.ts';
import { captureLog, CREDENTIALS, REGION, useMoto } from './moto.ts';

let aws: AwsClients;
useMoto((env) => ({ aws } = env));

const OWNER = { apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'platform-uid', controller: true };
const raw = (p: BookingPlatform): Obj => ({ apiVersion: OWNER.apiVersion, kind: OWNER.kind, metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: OWNER.uid } });
const withEntries = (entries: unknown[], extra: Record<string, unknown> = {}) => platform('acme', set('secrets', { entries, refreshIntervalSeconds: 300, ...extra }));
const decode = (o: { data?: unknown; [k: string]: unknown } | undefined) => Object.fromEntries(Object.entries((o?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
/** What the reconciler does with the part's objects: applies them, owned by the platform. */
const apply = (env: FakeEnv, o: PartObservation) => {
  for (const obj of o.objects ?? []) env.put({ ...(obj as unknown as Obj), metadata: { ...obj.metadata, ownerReferences: [OWNER] } } as Obj);
};

describe('delivery operator against moto', () => {
  let jwtArn: string;
  beforeAll(async () => {
    await aws.secretsManager.send(new CreateSecretCommand({ Name: 'prod/openai', SecretString: JSON.stringify({ apiKey: 'sk-live-1', org: 'org-9' }) }));
    jwtArn = (await aws.secretsManager.send(new CreateSecretCommand({ Name: 'prod/jwt', SecretString: 'jwt-signing-value-1' }))).ARN!;
  });

  it('syncs whole values and JSON keys, by name and by ARN, and re-syncs on schedule after PutSecretValue', async () => {
    let clock = 1_000_000;
    const { log, lines } = captureLog();
    const part = secretsPart({ aws: { region: REGION, clients: () => aws }, now: () => clock, log });
    const p = withEntries([
      { name: 'OPENAI_API_KEY', secretsManager: { secretId: 'prod/openai', key: 'apiKey' } },
      { name: 'JWT_SECRET', secretsManager: { secretId: jwtArn } },
      { name: 'SESSION_SECRET', generate: {} },
    ]);
    const env = fakeEnv(raw(p));
    const first = await part.observe(p, env);
    expect(first.state).toMatchObject({ ready: true });
    expect(first.objects?.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/acme-app-secrets']);
    expect(decode(first.objects![0])).toEqual({ OPENAI_API_KEY: 'sk-live-1', JWT_SECRET: 'jwt-signing-value-1' });
    expect(first.facts?.appSecrets?.env).toEqual([
      { name: 'SESSION_SECRET', secretName: 'acme-generated-secrets' },
      { name: 'OPENAI_API_KEY', secretName: 'acme-app-secrets' },
      { name: 'JWT_SECRET', secretName: 'acme-app-secrets' },
    ]);
    expect(first.requeueAfterMs).toBe(300_000);
    apply(env, first);

    await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: 'prod/openai', SecretString: JSON.stringify({ apiKey: 'sk-live-2', org: 'org-9' }) }));
    clock += 100_000;
    const early = await part.observe(p, env);
    expect(decode(early.objects![0]).OPENAI_API_KEY).toBe('sk-live-1');
    expect(early.facts?.appSecrets?.hash).toBe(first.facts?.appSecrets?.hash);
    expect(early.requeueAfterMs).toBe(200_000);

    clock += 200_000;
    const due = await part.observe(p, env);
    expect(decode(due.objects![0])).toEqual({ OPENAI_API_KEY: 'sk-live-2', JWT_SECRET: 'jwt-signing-value-1' });
    expect(due.facts?.appSecrets?.hash).not.toBe(first.facts?.appSecrets?.hash);
    expect(due.state.ready).toBe(true);
    for (const v of ['sk-live-1', 'sk-live-2', 'jwt-signing-value-1']) expect(lines.join('\n')).not.toContain(v);
  });

  it('names a missing JSON key or secret (entry and secret id, never a value), and syncs the rest', async () => {
    const part = secretsPart({ aws: { region: REGION, clients: () => aws } });
    const p = withEntries([
      { name: 'OPENAI_ORG', secretsManager: { secretId: 'prod/openai', key: 'org' } },
      { name: 'OPENAI_PROJECT', secretsManager: { secretId: 'prod/openai', key: 'project' } },
      { name: 'STRIPE_KEY', secretsManager: { secretId: 'prod/stripe' } },
    ]);
    const o = await part.observe(p, fakeEnv(raw(p)));
    expect(o.state).toMatchObject({ ready: false, reason: 'SecretKeyMissing' });
    expect(o.state.message).toContain('entry OPENAI_PROJECT: secret prod/openai: has no key "project"');
    expect(o.state.message).toMatch(/entry STRIPE_KEY: read Secrets Manager secret prod\/stripe: ResourceNotFoundException/);
    expect(o.state.message).not.toMatch(/sk-live|org-9/);
    expect(decode(o.objects![0])).toEqual({ OPENAI_ORG: 'org-9' });
    expect(o.facts?.appSecrets?.env.map((e) => e.name)).toEqual(['OPENAI_ORG']);
    expect(o.requeueAfterMs).toBe(30_000);
  });
});

describe('delivery operator with a mocked Secrets Manager (answers moto does not give)', () => {
  const stub = () => mockClient(SecretsManagerClient);
  let sm: ReturnType<typeof stub>;
  beforeAll(() => {
    sm = stub();
  });
  afterAll(() => sm.restore());

  const p = withEntries([{ name: 'OPENAI_API_KEY', secretsManager: { secretId: 'prod/openai', key: 'apiKey' } }]);
  const part = () => secretsPart({ aws: { region: REGION, clients: (region) => createClients({ region, credentials: CREDENTIALS, maxAttempts: 1 }) } });

  it.each([
    ['AccessDeniedException', 400, 'AwsAccessDenied'],
    ['ThrottlingException', 400, 'AwsThrottled'],
    ['InternalServiceError', 500, 'AwsUnavailable'],
  ])('%s is reported as %s, naming the entry and the secret', async (name, status, reason) => {
    sm.reset();
    sm.rejects(new SecretsManagerServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} from AWS` }));
    const o = await part().observe(p, fakeEnv(raw(p)));
    expect(o.state).toMatchObject({ ready: false, reason, message: expect.stringContaining('entry OPENAI_API_KEY: read Secrets Manager secret prod/openai') });
    expect(o.objects).toEqual([]);
  });

  it('a secret that is not JSON has no key: named, its value not quoted', async () => {
    sm.reset();
    sm.resolves({ SecretString: 'plain-value-not-json', VersionId: 'v1' });
    const o = await part().observe(p, fakeEnv(raw(p)));
    expect(o.state).toMatchObject({ ready: false, reason: 'SecretKeyMissing', message: 'entry OPENAI_API_KEY: secret prod/openai: is not JSON, so it has no key "apiKey"' });
  });
});
