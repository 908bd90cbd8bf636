/**
 * Application secrets through the running operator on the rig, with moto as Secrets Manager:
 *
 * - delivery operator: the generated Secret is created once and stays byte for byte the same
 *   across reconciles, an operator restart and a new entry (whose key is added beside the old
 *   one); Secrets Manager values reach `<platform>-app-secrets`; the backend gets every variable by
 *   secretKeyRef; a changed value (PutSecretValue, then a spec change, which re-syncs at once)
 *   rolls it; no value appears in status, Events or the operator's log.
 * - delivery external-secrets: External Secrets Operator's real CRDs (v1.3.2, from its Go module)
 *   are installed; what the operator renders is server-side applied with strict field validation
 *   and by the operator itself. ESO's controller is NOT run here: the test PLAYS ESO'S PART (it
 *   writes the target Secret, owned by the ExternalSecret, and sets its Ready condition), then
 *   shows the platform becoming Ready and the consumer rolling when ESO's Secret changes.
 */
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePlatform } from '../../src/api/platform.ts';
import { APP_SECRETS_HASH_ANNOTATION } from '../../src/render/pod.ts';
import { externalSecret } from '../../src/security/secrets/desired.ts';
import { motoClients, REGION } from '../aws/moto.ts';
import { esoCrdsDir, kubectl, kubectlOk, waitEstablished } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const aws = motoClients(rig.awsEndpoint!);
const NS = 'app-secrets';
const ESO_NS = 'app-secrets-eso';
const SM_ID = `app-secrets-it/openai-${process.pid}`;
let op: OperatorProcess;
const logDir = mkdtempSync(join(tmpdir(), 'secrets-test-'));
const opEnv = { ...sdkOperatorEnv('secrets-test', 'secrets-test', rig.awsEndpoint!, REGION), WATCH_NAMESPACES: `${NS},${ESO_NS}` };
let starts = 0;
/** Each start logs to its own file (a restart must not overwrite what the first process logged). */
const start = () => startOperatorProcess(rig.kubeconfig, { identity: `secrets-test-${++starts}`, env: opEnv, logDir });

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const tryGet = (args: string[]) => {
  const r = kubectl(rig, ['get', ...args, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const decode = (s: { data?: Record<string, string> } | undefined) => Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const cond = (ns: string, type: string) => tryGet(['bkp', 'shop', '-n', ns])?.status?.conditions?.find((c: any) => c.type === type);
const backend = (ns: string) => get(['deployment', 'shop-backend', '-n', ns]);
const backendEnv = (ns: string) => backend(ns).spec.template.spec.containers[0].env as Array<{ name: string; valueFrom?: any }>;
const backendHash = (ns: string) => backend(ns).spec.template.metadata.annotations?.[APP_SECRETS_HASH_ANNOTATION] as string | undefined;

function shop(namespace: string, secrets: Record<string, unknown>) {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name: 'shop', namespace },
    spec: { environment: 'staging', provisioner: 'external', backend: { image: 'registry.example/backend:1.0.0' }, secrets },
  };
}
const applyPlatform = (o: unknown) => kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(o));

beforeAll(async () => {
  for (const ns of [NS, ESO_NS]) kubectl(rig, ['create', 'namespace', ns]);
  await aws.secretsManager.send(new CreateSecretCommand({ Name: SM_ID, SecretString: JSON.stringify({ apiKey: 'sk-rig-value-1' }) }));
  op = await start();
});
afterAll(async () => {
  for (const ns of [NS, ESO_NS]) kubectl(rig, ['delete', 'bookingplatforms', '--all', '-n', ns, '--wait=false']);
  await op?.stop();
});

describe('the CRD’s rules for secrets, twins of the CLI’s', () => {
  const base = { entries: [{ name: 'SESSION_SECRET', generate: {} }] };
  it.each([
    ['an entry with both sources', { entries: [{ name: 'A', generate: {}, secretsManager: { secretId: 'x' } }] }, 'an entry needs exactly one of generate or secretsManager'],
    ['a connection Secret key', { entries: [{ name: 'REDIS_URL', generate: {} }] }, 'name is a key of the connection Secret'],
    ['external-secrets without a store', { ...base, delivery: 'external-secrets' }, 'secretStoreRef is required with delivery external-secrets and not allowed otherwise'],
    ['a consumer the spec lacks', { ...base, consumers: ['mcp-calendar'] }, 'secrets.consumers names a component the spec does not have'],
    ['a variable the backend’s env sets', { ...base, backendEnv: true }, 'secrets.entries repeats a variable of the env of a consumer'],
  ])('refuses %s, as validate does', (_what, secrets, message) => {
    const { backendEnv, ...rest } = secrets as Record<string, unknown>;
    const doc = shop(NS, rest);
    if (backendEnv) (doc.spec.backend as Record<string, unknown>).env = [{ name: 'SESSION_SECRET', value: 'x' }];
    const cli = parsePlatform(doc);
    expect(cli.ok).toBe(false);
    if (!cli.ok) expect(cli.errors.map((e) => e.message).join('\n')).toContain(message);
    const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '-f', '-'], JSON.stringify(doc));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });
});

describe('delivery operator', () => {
  const entries = [
    { name: 'SESSION_SECRET', generate: {} },
    { name: 'OPENAI_API_KEY', secretsManager: { secretId: SM_ID, key: 'apiKey' } },
  ];
  let session = '';
  let generatedUid = '';

  it('generates once, syncs Secrets Manager, gives the backend both variables and becomes Ready', async () => {
    applyPlatform(shop(NS, { entries, refreshIntervalSeconds: 3600 }));
    await waitUntil('SecretsReady and Ready', () => cond(NS, 'SecretsReady')?.status === 'True' && cond(NS, 'Ready')?.status === 'True', 120_000);
    const generated = get(['secret', 'shop-generated-secrets', '-n', NS]);
    session = decode(generated).SESSION_SECRET!;
    generatedUid = generated.metadata.uid;
    expect(session).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(generated.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name: 'shop', controller: false })]);
    expect(decode(get(['secret', 'shop-app-secrets', '-n', NS]))).toEqual({ OPENAI_API_KEY: 'sk-rig-value-1' });
    expect(backendEnv(NS)).toEqual(
      expect.arrayContaining([
        { name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'shop-generated-secrets', key: 'SESSION_SECRET' } } },
        { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'shop-app-secrets', key: 'OPENAI_API_KEY' } } },
      ]),
    );
  });

  it('keeps the generated value across reconciles and a restart, and adds a new entry beside it', async () => {
    const rv = get(['secret', 'shop-generated-secrets', '-n', NS]).metadata.resourceVersion;
    await op.stop();
    op = await start();
    applyPlatform(shop(NS, { entries: [...entries, { name: 'JWT_SECRET', generate: { length: 48 } }], refreshIntervalSeconds: 3600 }));
    await waitUntil('JWT_SECRET generated', () => decode(tryGet(['secret', 'shop-generated-secrets', '-n', NS])).JWT_SECRET, 60_000);
    const after = get(['secret', 'shop-generated-secrets', '-n', NS]);
    expect(after.metadata.uid).toBe(generatedUid);
    expect(decode(after).SESSION_SECRET).toBe(session);
    expect(decode(after).JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{48}$/);
    await waitUntil('the backend reads JWT_SECRET', () => backendEnv(NS).some((e) => e.name === 'JWT_SECRET'), 60_000);
    // more passes (an annotation is a change the operator reconciles): the Secret is not written again
    const rv2 = after.metadata.resourceVersion;
    expect(rv2).not.toBe(rv);
    kubectlOk(rig, ['annotate', 'bkp', 'shop', '-n', NS, 'test.booking.io/poke=1', '--overwrite']);
    await waitUntil('Ready', () => cond(NS, 'Ready')?.status === 'True', 60_000);
    expect(get(['secret', 'shop-generated-secrets', '-n', NS]).metadata.resourceVersion).toBe(rv2);
  });

  it('re-syncs a changed Secrets Manager value at once on a spec change, and rolls the backend', async () => {
    const before = backendHash(NS);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: SM_ID, SecretString: JSON.stringify({ apiKey: 'sk-rig-value-2' }) }));
    applyPlatform(shop(NS, { entries: [...entries, { name: 'JWT_SECRET', generate: { length: 48 } }], refreshIntervalSeconds: 1800 }));
    await waitUntil('the new value synced', () => decode(tryGet(['secret', 'shop-app-secrets', '-n', NS])).OPENAI_API_KEY === 'sk-rig-value-2', 60_000);
    await waitUntil('the backend rolled', () => backendHash(NS) !== before, 60_000);
    expect(decode(get(['secret', 'shop-generated-secrets', '-n', NS])).SESSION_SECRET).toBe(session);
  });

  it('shows no value in status, Events or the operator’s log', () => {
    const generated = decode(get(['secret', 'shop-generated-secrets', '-n', NS]));
    const values = [generated.SESSION_SECRET!, generated.JWT_SECRET!, 'sk-rig-value-1', 'sk-rig-value-2'];
    const status = JSON.stringify(get(['bkp', 'shop', '-n', NS]).status);
    const events = kubectlOk(rig, ['get', 'events', '-n', NS, '-o', 'json']);
    const log = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
    for (const v of values) {
      expect(status).not.toContain(v);
      expect(events).not.toContain(v);
      expect(log).not.toContain(v);
    }
    expect(log).toContain('generated application secrets');
  });
});

describe('delivery external-secrets (the real ExternalSecret CRD; ESO’s part played by the test)', () => {
  const secrets = {
    delivery: 'external-secrets',
    secretStoreRef: { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' },
    refreshIntervalSeconds: 900,
    entries: [
      { name: 'SESSION_SECRET', generate: {} },
      { name: 'OPENAI_API_KEY', secretsManager: { secretId: SM_ID, key: 'apiKey' } },
    ],
  };

  beforeAll(() => {
    const dir = esoCrdsDir();
    for (const f of ['external-secrets.io_externalsecrets.yaml', 'external-secrets.io_secretstores.yaml', 'external-secrets.io_clustersecretstores.yaml']) kubectlOk(rig, ['apply', '--server-side', '-f', join(dir, f)]);
    waitEstablished(rig, ['externalsecrets.external-secrets.io', 'secretstores.external-secrets.io', 'clustersecretstores.external-secrets.io']);
  });

  it('renders an ExternalSecret the real CRD accepts under strict field validation', () => {
    const parsed = parsePlatform(shop(ESO_NS, secrets));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const es = externalSecret(parsed.platform)!;
    const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=strict-check', '-f', '-'], JSON.stringify(es));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // and one field the CRD does not know is refused the same way (the check can fail)
    const bad = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=strict-check', '-f', '-'], JSON.stringify({ ...es, spec: { ...(es.spec as object), notAField: true } }));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('notAField');
  });

  it('the operator applies it, waits for the target Secret, is Ready once ESO wrote it, and rolls the backend when it changes', async () => {
    applyPlatform(shop(ESO_NS, secrets));
    const es = await waitUntil('the ExternalSecret', () => tryGet(['externalsecret', 'shop-app-secrets', '-n', ESO_NS]), 60_000);
    expect(es.spec).toMatchObject({ refreshInterval: '900s', secretStoreRef: { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' }, target: { name: 'shop-app-secrets', creationPolicy: 'Owner' }, data: [{ secretKey: 'OPENAI_API_KEY', remoteRef: { key: SM_ID, property: 'apiKey' } }] });
    expect(es.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name: 'shop', controller: true })]);
    await waitUntil('SecretsReady=False, waiting for ESO', () => cond(ESO_NS, 'SecretsReady')?.status === 'False', 60_000);
    expect(cond(ESO_NS, 'SecretsReady').message).toContain('OPENAI_API_KEY');

    // --- playing External Secrets Operator: the target Secret (owned by the ExternalSecret, with the template's labels) and Ready ---
    const playEso = (apiKey: string) => {
      const target = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'shop-app-secrets',
          namespace: ESO_NS,
          labels: es.spec.target.template.metadata.labels,
          ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'shop-app-secrets', uid: es.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        data: { OPENAI_API_KEY: Buffer.from(apiKey).toString('base64') },
      };
      kubectlOk(rig, ['apply', '--server-side', '--field-manager=external-secrets', '-f', '-'], JSON.stringify(target));
      kubectlOk(rig, ['patch', 'externalsecret', 'shop-app-secrets', '-n', ESO_NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced', lastTransitionTime: new Date().toISOString() }], refreshTime: new Date().toISOString() } })]);
    };
    playEso('sk-eso-value-1');
    await waitUntil('Ready', () => cond(ESO_NS, 'SecretsReady')?.status === 'True' && cond(ESO_NS, 'Ready')?.status === 'True', 120_000);
    expect(backendEnv(ESO_NS)).toEqual(expect.arrayContaining([{ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'shop-app-secrets', key: 'OPENAI_API_KEY' } } }]));
    const before = backendHash(ESO_NS);
    playEso('sk-eso-value-2');
    await waitUntil('the backend rolled', () => backendHash(ESO_NS) !== before, 60_000);
    // the generated entry stays the operator's, and ESO's Secret is not pruned by the operator
    expect(decode(get(['secret', 'shop-generated-secrets', '-n', ESO_NS])).SESSION_SECRET).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(decode(get(['secret', 'shop-app-secrets', '-n', ESO_NS])).OPENAI_API_KEY).toBe('sk-eso-value-2');
  });

  it('a pass over the unchanged platform writes the ExternalSecret no more (the kind is watched, found once its CRD came)', async () => {
    // the operator started before the CRD was installed: discovery found the kind later
    const appliedEs = () => op.metric('booking_operator_objects_applied_total', { kind: 'ExternalSecret' });
    const reconciles = () => op.metric('controller_runtime_reconcile_total');
    await waitUntil('Ready', () => cond(ESO_NS, 'Ready')?.status === 'True', 60_000);
    await waitUntil('settled', async () => {
      const a = `${await appliedEs()}/${await reconciles()}`;
      await new Promise((r) => setTimeout(r, 2000));
      return a === `${await appliedEs()}/${await reconciles()}`;
    }, 60_000, 0);
    const before = await appliedEs();
    expect(before).toBeGreaterThanOrEqual(1); // the metric carries the kind: the check below can fail
    const rv = get(['externalsecret', 'shop-app-secrets', '-n', ESO_NS]).metadata.resourceVersion;
    const reconcilesBefore = await reconciles();
    // an annotation change makes the platform reconcile without changing what it wants
    kubectlOk(rig, ['annotate', 'bkp', 'shop', '-n', ESO_NS, `test.booking.io/poke=${Date.now()}`, '--overwrite']);
    await waitUntil('a reconcile ran', async () => (await reconciles()) > reconcilesBefore, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await appliedEs()).toBe(before);
    expect(get(['externalsecret', 'shop-app-secrets', '-n', ESO_NS]).metadata.resourceVersion).toBe(rv);
    expect(cond(ESO_NS, 'Ready')?.status).toBe('True');
  });
});
