import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../../api/platform.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { Obj } from '../../kube/client.ts';
import { renderPlatform } from '../../render/index.ts';
import { APP_SECRETS_HASH_ANNOTATION } from '../../render/pod.ts';
import { find } from '../../../test/fixtures/objects.ts';
import { platform, rawPlatform, set, withAdmin, withMcp, withWhatsapp } from '../../../test/fixtures/platform.ts';
import { fakeEnv } from '../../../test/fixtures/security-env.ts';
import { appSecretsName, externalSecret, generatedSecretName, generateValue } from './desired.ts';
import { regionOf, releaseGeneratedSecret, secretsPart } from './index.ts';

const SESSION = { name: 'SESSION_SECRET', generate: {} };
const JWT = { name: 'JWT_SECRET', generate: { length: 32 } };
const OPENAI = { name: 'OPENAI_API_KEY', secretsManager: { secretId: 'prod/openai', key: 'apiKey' } };
const withSecrets = (s: Record<string, unknown>) => set('secrets', s);
const raw = (p: BookingPlatform): Obj => ({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: 'platform-uid' } });
const decode = (o: Obj | undefined) => Object.fromEntries(Object.entries((o?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

describe('secrets: rules (CLI twins of the CRD rules)', () => {
  const errors = (...mods: Parameters<typeof rawPlatform>[1][]) => {
    const r = parsePlatform(rawPlatform('acme', ...mods));
    return r.ok ? [] : r.errors;
  };

  it('defaults consumers to the backend, delivery to operator, refresh to an hour, length to 64', () => {
    const s = platform('acme', withSecrets({ entries: [SESSION] })).spec.secrets!;
    expect(s).toMatchObject({ consumers: ['backend'], delivery: 'operator', refreshIntervalSeconds: 3600 });
    expect(s.entries[0]!.generate).toEqual({ length: 64 });
  });

  it('needs exactly one of generate or secretsManager per entry', () => {
    expect(errors(withSecrets({ entries: [{ name: 'A' }] }))).toContainEqual({ path: 'spec.secrets.entries[0]', message: 'an entry needs exactly one of generate or secretsManager' });
    expect(errors(withSecrets({ entries: [{ name: 'A', generate: {}, secretsManager: { secretId: 'x' } }] }))).toContainEqual({ path: 'spec.secrets.entries[0]', message: 'an entry needs exactly one of generate or secretsManager' });
  });

  it('takes unique environment variable names only, none of the connection Secret', () => {
    expect(errors(withSecrets({ entries: [SESSION, { ...SESSION }] })).map((e) => e.message)).toContainEqual(expect.stringContaining('Duplicate value'));
    expect(errors(withSecrets({ entries: [{ name: 'session-secret', generate: {} }] })).map((e) => e.path)).toContain('spec.secrets.entries[0].name');
    expect(errors(withSecrets({ entries: [{ name: 'DATABASE_URL', generate: {} }] }))).toContainEqual({ path: 'spec.secrets.entries[0].name', message: expect.stringMatching(/^name is a key of the connection Secret/) });
  });

  it('needs secretStoreRef exactly with delivery external-secrets', () => {
    const msg = 'secretStoreRef is required with delivery external-secrets and not allowed otherwise';
    expect(errors(withSecrets({ delivery: 'external-secrets', entries: [OPENAI] }))).toContainEqual({ path: 'spec.secrets', message: msg });
    expect(errors(withSecrets({ secretStoreRef: { name: 'aws' }, entries: [OPENAI] }))).toContainEqual({ path: 'spec.secrets', message: msg });
    expect(errors(withSecrets({ delivery: 'external-secrets', secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' }, entries: [OPENAI] }))).toEqual([]);
  });

  it('takes consumers the spec has: backend, whatsapp, admin, mcp-<name>, a service', () => {
    const msg = expect.stringMatching(/^secrets.consumers names a component the spec does not have/);
    expect(errors(withSecrets({ consumers: ['admin'], entries: [SESSION] }))).toContainEqual({ path: 'spec', message: msg });
    expect(errors(withSecrets({ consumers: ['mcp-calendar'], entries: [SESSION] }))).toContainEqual({ path: 'spec', message: msg });
    expect(
      errors(
        withAdmin(),
        withWhatsapp(),
        withMcp({ name: 'calendar', image: 'registry.example/mcp:1', port: 9000 }),
        set('services', [{ name: 'chatbot', image: 'registry.example/bot:1', port: 8080 }]),
        withSecrets({ consumers: ['backend', 'admin', 'whatsapp', 'mcp-calendar', 'chatbot'], entries: [SESSION] }),
      ),
    ).toEqual([]);
  });

  it('refuses an entry that repeats a variable of a built-in consumer’s env', () => {
    expect(errors(set('backend.env', [{ name: 'SESSION_SECRET', value: 'x' }]), withSecrets({ entries: [SESSION] }))).toContainEqual({
      path: 'spec',
      message: 'secrets.entries repeats a variable of the env of a consumer (backend, whatsapp or admin)',
    });
    // not a consumer: no clash
    expect(errors(withAdmin({ env: [{ name: 'SESSION_SECRET', value: 'x' }] }), withSecrets({ entries: [SESSION] }))).toEqual([]);
  });
});

describe('secrets: rendering', () => {
  const p = platform('acme', withAdmin(), withMcp({ name: 'llm', image: 'registry.example/mcp:1', port: 9000 }), withSecrets({ consumers: ['backend', 'mcp-llm'], entries: [SESSION, OPENAI] }));
  const facts = {
    appSecrets: {
      env: [
        { name: 'SESSION_SECRET', secretName: 'acme-generated-secrets' },
        { name: 'OPENAI_API_KEY', secretName: 'acme-app-secrets' },
      ],
      hash: 'h1',
      consumers: ['backend', 'mcp-llm'],
    },
  };
  const objects = renderPlatform(p, facts);
  const envOf = (name: string) => find(objects, 'Deployment', name).spec.template.spec.containers[0].env ?? [];

  it('gives every consumer each variable from its Secret’s key, and only the consumers', () => {
    for (const d of ['acme-backend', 'acme-mcp-llm']) {
      expect(envOf(d)).toEqual(
        expect.arrayContaining([
          { name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'acme-generated-secrets', key: 'SESSION_SECRET' } } },
          { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'acme-app-secrets', key: 'OPENAI_API_KEY' } } },
        ]),
      );
    }
    expect(envOf('acme-admin').map((e: { name: string }) => e.name)).not.toContain('SESSION_SECRET');
  });

  it('rolls the consumers when the values’ hash changes, and nothing else', () => {
    const again = renderPlatform(p, { appSecrets: { ...facts.appSecrets, hash: 'h2' } });
    const ann = (objs: typeof objects, name: string) => find(objs, 'Deployment', name).spec.template.metadata.annotations?.[APP_SECRETS_HASH_ANNOTATION];
    expect([ann(objects, 'acme-backend'), ann(again, 'acme-backend')]).toEqual(['h1', 'h2']);
    expect([ann(objects, 'acme-mcp-llm'), ann(again, 'acme-mcp-llm')]).toEqual(['h1', 'h2']);
    expect(ann(again, 'acme-admin')).toBeUndefined();
  });

  it('renders no ExternalSecret for delivery operator, and ESO’s v1 ExternalSecret for external-secrets', () => {
    expect(externalSecret(p)).toBeUndefined();
    const eso = platform('acme', withSecrets({ delivery: 'external-secrets', refreshIntervalSeconds: 600, secretStoreRef: { name: 'aws-sm', kind: 'ClusterSecretStore' }, entries: [SESSION, OPENAI, { name: 'WHOLE', secretsManager: { secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whole-AbCdEf' } }] }));
    expect(externalSecret(eso)).toMatchObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'acme-app-secrets', namespace: 'acme' },
      spec: {
        refreshInterval: '600s',
        secretStoreRef: { name: 'aws-sm', kind: 'ClusterSecretStore' },
        target: { name: 'acme-app-secrets', creationPolicy: 'Owner', template: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'booking-operator', 'platform.booking.io/name': 'acme' } } } },
        // generated entries stay the operator's
        data: [
          { secretKey: 'OPENAI_API_KEY', remoteRef: { key: 'prod/openai', property: 'apiKey' } },
          { secretKey: 'WHOLE', remoteRef: { key: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whole-AbCdEf' } },
        ],
      },
    });
  });

  it('generates URL-safe values of the asked length', () => {
    for (const n of [16, 64, 255]) expect(generateValue(n, randomBytes)).toMatch(new RegExp(`^[A-Za-z0-9_-]{${n}}$`));
    expect(regionOf('arn:aws:secretsmanager:eu-west-1:123456789012:secret:x')).toBe('eu-west-1');
    expect(regionOf('prod/openai')).toBeUndefined();
  });
});

describe('secrets part: generated entries', () => {
  const part = () => secretsPart({});
  const base = platform('acme', withSecrets({ entries: [SESSION] }));

  it('creates them once and never writes them again, across passes and operator restarts', async () => {
    const env = fakeEnv(raw(base));
    const first = await part().observe(base, env);
    const secret = env.find('v1', 'Secret', 'acme', generatedSecretName(base))!;
    const value = decode(secret).SESSION_SECRET!;
    expect(value).toMatch(/^[A-Za-z0-9_-]{64}$/);
    // owned (garbage-collected with the platform) but not controlled (never pruned)
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: 'platform-uid', controller: false })]);
    expect(first.state.ready).toBe(true);
    expect(first.facts?.appSecrets?.env).toEqual([{ name: 'SESSION_SECRET', secretName: 'acme-generated-secrets' }]);
    const writes = env.writes.length;
    const again = await part().observe(base, env); // a new part: as after a restart
    expect(env.writes.length).toBe(writes);
    expect(decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base))).SESSION_SECRET).toBe(value);
    expect(again.facts?.appSecrets?.hash).toBe(first.facts?.appSecrets?.hash);
  });

  it('adds a new entry’s key without touching the others; a 409 from a lagging cache is not a new value', async () => {
    const env = fakeEnv(raw(base));
    await part().observe(base, env);
    const before = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base)));
    const more = platform('acme', withSecrets({ entries: [SESSION, JWT] }));
    env.hiddenFromCache.add(`v1/Secret/acme/${generatedSecretName(base)}`);
    const o = await part().observe(more, env);
    const after = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base)));
    expect(after.SESSION_SECRET).toBe(before.SESSION_SECRET);
    expect(after.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(env.writes.filter((w) => w.startsWith('patch'))).toHaveLength(1);
    expect(o.state.ready).toBe(true);
    // removing the entry leaves its value (putting it back gives the same one)
    await part().observe(base, env);
    expect(decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base))).JWT_SECRET).toBe(after.JWT_SECRET);
  });

  it('does not overwrite a key that appeared since it read the Secret (the patch’s test fails)', async () => {
    const env = fakeEnv(raw(base));
    await part().observe(base, env);
    const more = platform('acme', withSecrets({ entries: [SESSION, JWT] }));
    const realPatch = env.patch;
    env.patch = async (ref, ops) => {
      // someone else adds JWT_SECRET between our read and our patch
      const s = env.find('v1', 'Secret', 'acme', generatedSecretName(base))!;
      env.put({ ...s, data: { ...s.data, JWT_SECRET: Buffer.from('theirs').toString('base64') } });
      return realPatch(ref, ops);
    };
    const o = await part().observe(more, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'Pending' });
    expect(decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base))).JWT_SECRET).toBe('theirs');
  });

  it('regenerates a lost Secret with a Warning naming the entries consumers used, never a value', async () => {
    const env = fakeEnv(raw(base));
    const first = await part().observe(base, env);
    const old = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base))).SESSION_SECRET!;
    for (const o of renderPlatform(base, first.facts)) if (o.kind === 'Deployment') env.put(o as unknown as Obj);
    env.objects.delete(`v1/Secret/acme/${generatedSecretName(base)}`);
    const second = await part().observe(base, env);
    const now = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base))).SESSION_SECRET!;
    expect(now).not.toBe(old);
    expect(second.facts?.appSecrets?.hash).not.toBe(first.facts?.appSecrets?.hash);
    expect(env.events).toEqual([{ reason: 'SecretsRegenerated', message: expect.stringContaining('generated new values for SESSION_SECRET') }]);
    expect(JSON.stringify(env.events)).not.toContain(old);
    expect(JSON.stringify(env.events)).not.toContain(now);
  });
});

describe('secrets part: Secrets Manager entries', () => {
  const smPlatform = (extra: Record<string, unknown> = {}) => platform('acme', withSecrets({ entries: [SESSION, OPENAI], ...extra }));

  it('without AWS access: not ready, saying so, and nothing read', async () => {
    const p = smPlatform();
    const o = await secretsPart({}).observe(p, fakeEnv(raw(p)));
    expect(o.state).toMatchObject({ ready: false, reason: 'NoAwsAccess', message: expect.stringContaining('OPENAI_API_KEY') });
    expect(o.facts?.appSecrets?.env.map((e) => e.name)).toEqual(['SESSION_SECRET']);
    expect(o.objects).toEqual([]);
  });

  it('re-reads on schedule and at once when the entries change, not on every pass', async () => {
    let reads = 0;
    let clock = 1_000_000;
    const value = { current: '{"apiKey":"sk-1"}' };
    const client = { send: async () => (reads++, { SecretString: value.current, VersionId: 'v' }) };
    const part = secretsPart({ aws: { region: 'us-east-1', clients: () => ({ secretsManager: client as never }) }, now: () => clock });
    const p = smPlatform({ refreshIntervalSeconds: 600 });
    const env = fakeEnv(raw(p));
    const apply = (o: Awaited<ReturnType<typeof part.observe>>) => {
      for (const obj of o.objects ?? []) env.put({ ...(obj as unknown as Obj), metadata: { ...obj.metadata, ownerReferences: [{ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'platform-uid', controller: true }] } } as Obj);
    };
    const first = await part.observe(p, env);
    apply(first);
    expect(reads).toBe(1);
    expect(first.requeueAfterMs).toBe(600_000);
    expect(decode(first.objects![0] as unknown as Obj)).toEqual({ OPENAI_API_KEY: 'sk-1' });
    clock += 60_000;
    value.current = '{"apiKey":"sk-2"}';
    const quiet = await part.observe(p, env);
    expect(reads).toBe(1);
    expect(quiet.requeueAfterMs).toBe(540_000);
    expect(quiet.facts?.appSecrets?.hash).toBe(first.facts?.appSecrets?.hash);
    clock += 540_000;
    const due = await part.observe(p, env);
    expect(reads).toBe(2);
    expect(due.facts?.appSecrets?.hash).not.toBe(first.facts?.appSecrets?.hash);
    apply(due);
    const changed = smPlatform({ refreshIntervalSeconds: 600, entries: [SESSION, { ...OPENAI, secretsManager: { secretId: 'prod/openai-2', key: 'apiKey' } }] });
    await part.observe(changed, env);
    expect(reads).toBe(3);
  });

  it('keeps the last synced value when a read fails, and names the entry and secret id only', async () => {
    let fail = false;
    const client = {
      send: async () => {
        if (fail) throw Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
        return { SecretString: '{"apiKey":"sk-secret-value"}' };
      },
    };
    let clock = 0;
    const part = secretsPart({ aws: { region: 'us-east-1', clients: () => ({ secretsManager: client as never }) }, now: () => clock });
    const p = smPlatform();
    const env = fakeEnv(raw(p));
    const first = await part.observe(p, env);
    for (const obj of first.objects ?? []) env.put({ ...(obj as unknown as Obj), metadata: { ...obj.metadata, ownerReferences: [{ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'platform-uid', controller: true }] } } as Obj);
    fail = true;
    clock += 3_600_000;
    const o = await part.observe(p, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'AwsError' });
    expect(o.state.message).toContain('entry OPENAI_API_KEY: read Secrets Manager secret prod/openai');
    expect(o.state.message).not.toContain('sk-secret-value');
    expect(decode(o.objects![0] as unknown as Obj)).toEqual({ OPENAI_API_KEY: 'sk-secret-value' });
    expect(o.requeueAfterMs).toBe(30_000);
  });
});

describe('secrets part: delivery external-secrets', () => {
  const p = platform('acme', withSecrets({ delivery: 'external-secrets', secretStoreRef: { name: 'aws-sm' }, entries: [SESSION, OPENAI] }));
  const esoTarget = (data: Record<string, string>): Obj => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: appSecretsName(p), namespace: 'acme', ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: appSecretsName(p), uid: 'es-uid', controller: true }] },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });

  it('renders the ExternalSecret, waits for ESO’s target, then is ready and hashes its content', async () => {
    const env = fakeEnv(raw(p));
    const part = secretsPart({});
    const waiting = await part.observe(p, env);
    expect(waiting.objects?.map((o) => o.kind)).toEqual(['ExternalSecret']);
    expect(waiting.state).toMatchObject({ ready: false, reason: 'Pending', message: expect.stringContaining('OPENAI_API_KEY') });
    expect(waiting.facts?.appSecrets?.env.map((e) => e.name)).toEqual(['SESSION_SECRET']);
    env.put({ ...(waiting.objects![0] as unknown as Obj), metadata: { ...waiting.objects![0]!.metadata, uid: 'es-uid', ownerReferences: [{ uid: 'platform-uid', controller: true, kind: 'BookingPlatform', name: 'acme', apiVersion: 'platform.booking.io/v1alpha1' }] }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced' }] } } as Obj);
    env.put(esoTarget({ OPENAI_API_KEY: 'sk-1' }));
    const ok = await part.observe(p, env);
    expect(ok.state.ready).toBe(true);
    expect(ok.facts?.appSecrets?.env).toEqual([
      { name: 'SESSION_SECRET', secretName: 'acme-generated-secrets' },
      { name: 'OPENAI_API_KEY', secretName: 'acme-app-secrets' },
    ]);
    env.put(esoTarget({ OPENAI_API_KEY: 'sk-2' }));
    expect((await part.observe(p, env)).facts?.appSecrets?.hash).not.toBe(ok.facts?.appSecrets?.hash);
  });

  it('quotes ESO’s Ready=False condition', async () => {
    const env = fakeEnv(raw(p));
    env.put({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'acme-app-secrets', namespace: 'acme' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }] } } as Obj);
    const o = await secretsPart({}).observe(p, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'ExternalSecretNotReady', message: 'ExternalSecret acme-app-secrets: SecretSyncedError: could not get secret data from provider' });
  });

  it('switching back to delivery operator deletes its ExternalSecret first (its target would block ours)', async () => {
    const env = fakeEnv(raw(p));
    env.put({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'acme-app-secrets', namespace: 'acme', uid: 'es-uid', ownerReferences: [{ uid: 'platform-uid', controller: true, kind: 'BookingPlatform', name: 'acme', apiVersion: 'platform.booking.io/v1alpha1' }] } } as Obj);
    env.put(esoTarget({ OPENAI_API_KEY: 'sk-1' }));
    const back = platform('acme', withSecrets({ entries: [SESSION, OPENAI] }));
    const o = await secretsPart({}).observe(back, env);
    expect(env.writes).toContain('delete ExternalSecret acme-app-secrets');
    expect(o.state).toMatchObject({ ready: false, reason: 'Pending' });
    expect(o.objects ?? []).toEqual([]);
  });
});

describe('secrets part: whose generated Secret', () => {
  const base = platform('acme', withSecrets({ entries: [SESSION, JWT] }));
  const secretKey = `v1/Secret/acme/${generatedSecretName(base)}`;
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const existing = (metadata: Partial<Obj['metadata']>, data: Record<string, string> = { SESSION_SECRET: 'old-session' }): Obj =>
    ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generatedSecretName(base), namespace: 'acme', ...metadata }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) }) as Obj;

  it.each([
    ['a Secret of nobody’s', {}],
    ['another platform’s Secret', { ownerReferences: [{ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'other-uid', controller: false }] }],
    ['a Secret let go of by a platform of another name', { annotations: { 'platform.booking.io/credential-for': 'application secrets of BookingPlatform shop' } }],
  ])('leaves %s of that name alone: NotOwned naming it, nothing written, no value used', async (_what, metadata) => {
    const env = fakeEnv(raw(base));
    env.put(existing(metadata as Partial<Obj['metadata']>));
    const before = structuredClone(env.objects.get(secretKey));
    const o = await secretsPart({}).observe(base, env);
    expect(o.state).toMatchObject({ ready: false, reason: 'NotOwned', message: expect.stringContaining('Secret acme-generated-secrets') });
    expect(o.state.message).not.toContain('old-session');
    expect(env.writes).toEqual([]);
    expect(env.objects.get(secretKey)).toEqual(before);
    // no facts at all: the consumers keep what they run rather than lose the variables
    expect(o.facts).toBeUndefined();
  });

  it('adopts the Secret a platform of this name let go of: same values, owned again, no Warning', async () => {
    const env = fakeEnv(raw(base));
    env.put(existing({ labels: { 'app.kubernetes.io/component': 'credentials' }, annotations: { 'platform.booking.io/credential-for': 'application secrets of BookingPlatform acme', keep: 'me' } }, { SESSION_SECRET: 'old-session', JWT_SECRET: 'old-jwt' }));
    const o = await secretsPart({}).observe(base, env);
    const s = env.find('v1', 'Secret', 'acme', generatedSecretName(base))!;
    expect(decode(s)).toEqual({ SESSION_SECRET: 'old-session', JWT_SECRET: 'old-jwt' });
    expect(s.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name: 'acme', uid: 'platform-uid', controller: false })]);
    expect(s.metadata.annotations).toEqual({ keep: 'me' });
    expect(s.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'booking-operator', 'platform.booking.io/name': 'acme' });
    expect(o.state.ready).toBe(true);
    expect(env.events).toEqual([]);
    expect(env.writes.filter((w) => w.startsWith('create'))).toEqual([]);
  });

  it('adopts, then adds a key for an entry the old Secret lacks, leaving the old values', async () => {
    const env = fakeEnv(raw(base));
    env.put(existing({ annotations: { 'platform.booking.io/credential-for': 'application secrets of BookingPlatform acme' } }));
    const o = await secretsPart({}).observe(base, env);
    const data = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base)));
    expect(data.SESSION_SECRET).toBe('old-session');
    expect(data.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(env.find('v1', 'Secret', 'acme', generatedSecretName(base))!.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: 'platform-uid' })]);
    expect(o.state.ready).toBe(true);
  });
});

describe('secrets part: letting go of the generated Secret (platform deleted, its data kept)', () => {
  const base = platform('acme', withSecrets({ entries: [SESSION] }));

  it('drops this platform’s owner reference and labels, says whose it was, and keeps the values', async () => {
    const env = fakeEnv(raw(base));
    await secretsPart({}).observe(base, env);
    const before = decode(env.find('v1', 'Secret', 'acme', generatedSecretName(base)));
    const r = await releaseGeneratedSecret(env);
    expect(r).toMatchObject({ done: true, secret: 'acme-generated-secrets' });
    const s = env.find('v1', 'Secret', 'acme', generatedSecretName(base))!;
    expect(s.metadata.ownerReferences ?? []).toEqual([]);
    expect(s.metadata.annotations?.['platform.booking.io/credential-for']).toBe('application secrets of BookingPlatform acme');
    expect(s.metadata.labels?.['platform.booking.io/name']).toBeUndefined();
    expect(s.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    expect(decode(s)).toEqual(before);
    // a second call (a later pass) finds nothing of this platform's to let go of
    const writes = env.writes.length;
    const second = await releaseGeneratedSecret(env);
    expect([second.done, second.secret]).toEqual([true, undefined]);
    expect(env.writes.length).toBe(writes);
  });

  it('leaves a Secret of that name that is not this platform’s alone', async () => {
    const env = fakeEnv(raw(base));
    env.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generatedSecretName(base), namespace: 'acme', ownerReferences: [{ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'acme', uid: 'other-uid' }] }, data: {} } as Obj);
    const r = await releaseGeneratedSecret(env);
    expect([r.done, r.secret]).toEqual([true, undefined]);
    expect(env.writes).toEqual([]);
  });
});
