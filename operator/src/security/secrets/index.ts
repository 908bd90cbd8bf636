/**
 * The `secrets` security part: application secrets as environment variables of chosen components.
 *
 * - `generate` entries: created once in `<platform>-generated-secrets` (create answers 409 when it
 *   exists); a new entry's key is added by a JSON patch guarded by the Secret's uid and
 *   resourceVersion, so no existing value is ever rewritten. Only a lost Secret is generated again,
 *   with a Warning Event naming the entries whose values consumers had been using. Only a Secret
 *   this platform owns is used; one a platform of this name let go of at deletion
 *   (releaseGeneratedSecret) is adopted back, values unchanged; any other of that name is left
 *   alone (state NotOwned).
 * - `secretsManager` entries, delivery `operator`: read with GetSecretValue into
 *   `<platform>-app-secrets` every `refreshIntervalSeconds`, and at once when the entries change;
 *   a failed read keeps the value last synced. Delivery `external-secrets`: an ExternalSecret is
 *   rendered instead and its target Secret read for readiness and the hash.
 *
 * Values live in memory and in those Secrets only: messages, Events and logs name entries and
 * secret ids, never a value.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import { failureState } from '../../aws/errors.ts';
import type { Config } from '../../config.ts';
import { notReady, ready, type ServiceState } from '../../data/types.ts';
import type { Obj } from '../../kube/client.ts';
import type { KubeObject } from '../../render/index.ts';
import { childName, labels, PLATFORM_LABEL } from '../../render/names.ts';
import { decodeSecretData } from '../../kube/secret-data.ts';
import { lazyClientPool } from '../lazy-aws.ts';
import type { PartObservation, SecurityEnv, SecurityPart } from '../types.ts';
import {
  appSecret,
  appSecretsName,
  CREDENTIAL_FOR_ANNOTATION,
  EXTERNAL_SECRET_API,
  externalSecret,
  generatedEntries,
  generatedSecret,
  generatedSecretName,
  generatedSecretOwner,
  generateValue,
  releasedFor,
  secretsManagerEntries,
  valuesHash,
} from './desired.ts';

export interface SecretsPartDeps {
  /** The operator's AWS access (settings AWS_REGION, AWS_ENDPOINT_URL); absent: secretsManager entries cannot be read. */
  aws?: { region: string; clients: (region: string) => Pick<AwsClients, 'secretsManager'> | Promise<Pick<AwsClients, 'secretsManager'>> };
  log?: Logger;
  /** Milliseconds since the epoch (tests pass a clock). */
  now?: () => number;
  random?: (bytes: number) => Buffer;
}

/** Looked at again this soon while something is pending (ESO's first sync, a failed read, a switch of delivery). */
const RETRY_MS = 30_000;
const SHORT_RETRY_MS = 2_000;

type Value = { name: string; secretName: string; value: string };
/** `unsure`: the part cannot tell which values the consumers should have (it then gives no facts, so nothing they feed changes). */
type Piece = { values: Value[]; states: ServiceState[]; objects?: KubeObject[]; requeueAfterMs?: number; unsure?: boolean };

/** The part as the operator runs it, from its settings. */
export function secretsPartFor(deps: { config: Config; log: Logger }): SecurityPart {
  const { awsRegion, awsEndpoint } = deps.config;
  return secretsPart({ log: deps.log, aws: awsRegion ? { region: awsRegion, clients: lazyClientPool(awsEndpoint) } : undefined });
}

export function secretsPart(deps: SecretsPartDeps): SecurityPart {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? randomBytes;
  /** Per platform uid: which entries were last read from Secrets Manager, and when (delivery operator). */
  const synced = new Map<string, { key: string; at: number }>();

  /** `generate` entries: create once, add new keys, regenerate only what is lost (with a Warning). */
  async function ensureGenerated(p: BookingPlatform, env: SecurityEnv): Promise<Piece> {
    const want = generatedEntries(p);
    if (!want.length) return { values: [], states: [] };
    const ns = p.metadata.namespace!;
    const name = generatedSecretName(p);
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace: ns, name };
    let live = env.get('v1', 'Secret', ns, name) ?? (await env.read('v1', 'Secret', ns, name));
    if (!live) {
      const lost = usedGeneratedEntries(p, env, want.map((e) => e.name));
      const data = Object.fromEntries(want.map((e) => [e.name, generateValue(e.generate.length, random)]));
      try {
        await env.create(generatedSecret(p, env.raw.metadata.uid!, data));
        if (lost.length) env.warning('SecretsRegenerated', `Secret ${name} is gone: generated new values for ${lost.join(', ')}; sessions or tokens signed with the old values no longer verify`);
        deps.log?.info({ platform: `${ns}/${p.metadata.name}`, secret: name, entries: want.map((e) => e.name) }, 'generated application secrets');
        return { values: want.map((e) => ({ name: e.name, secretName: name, value: data[e.name]! })), states: [] };
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
        live = await env.read('v1', 'Secret', ns, name);
        if (!live) return { values: [], states: [notReady('Pending', `Secret ${name} is being created`)], requeueAfterMs: SHORT_RETRY_MS };
      }
    }
    // whose Secret: ours is used; one a platform of this name let go of is taken back; any other is left alone
    const uid = env.raw.metadata.uid!;
    if (!live.metadata.ownerReferences?.some((r) => r.uid === uid)) {
      if (!letGoOfFor(live, p.metadata.name)) {
        return {
          values: [],
          unsure: true,
          states: [notReady('NotOwned', `Secret ${name} exists but is not this platform's (not owned by it, nor let go of by a deleted platform named ${p.metadata.name}): it is neither read nor written; delete or rename it, or annotate it ${CREDENTIAL_FOR_ANNOTATION}="${releasedFor(p.metadata.name)}" to hand its values to this platform`)],
          requeueAfterMs: RETRY_MS,
        };
      }
      const annotations = { ...(live.metadata.annotations as Record<string, string>) };
      delete annotations[CREDENTIAL_FOR_ANNOTATION];
      try {
        await env.patch(ref, [
          { op: 'test', path: '/metadata/uid', value: live.metadata.uid },
          { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
          { op: 'add', path: '/metadata/ownerReferences', value: [...(live.metadata.ownerReferences ?? []), generatedSecretOwner(p.metadata.name, uid)] },
          { op: 'add', path: '/metadata/labels', value: { ...(live.metadata.labels ?? {}), ...labels(p, 'generated-secrets', 'credentials') } },
          Object.keys(annotations).length ? { op: 'add', path: '/metadata/annotations', value: annotations } : { op: 'remove', path: '/metadata/annotations' },
        ]);
      } catch (err) {
        if ((err as { code?: number }).code === 422 || (err as { code?: number }).code === 404) return { values: [], states: [notReady('Pending', `Secret ${name} changed while taking it back; trying again`)], requeueAfterMs: SHORT_RETRY_MS };
        throw err;
      }
      deps.log?.info({ platform: `${ns}/${p.metadata.name}`, secret: name }, 'took back the application secrets a platform of this name let go of');
      live = await env.read('v1', 'Secret', ns, name);
      if (!live) return { values: [], states: [notReady('Pending', `Secret ${name} is gone while taking it back`)], requeueAfterMs: SHORT_RETRY_MS };
    }
    if (want.some((e) => !(e.name in (live!.data ?? {})))) {
      // the cache may be behind: patch against what the apiserver has now
      live = (await env.read('v1', 'Secret', ns, name)) ?? live;
      const missing = want.filter((e) => !(e.name in (live!.data ?? {})));
      if (missing.length) {
        const added = Object.fromEntries(missing.map((e) => [e.name, Buffer.from(generateValue(e.generate.length, random)).toString('base64')]));
        try {
          await env.patch(ref, [
            { op: 'test', path: '/metadata/uid', value: live.metadata.uid },
            { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
            ...(live.data ? Object.entries(added).map(([k, v]) => ({ op: 'add' as const, path: `/data/${k}`, value: v })) : [{ op: 'add' as const, path: '/data', value: added }]),
          ]);
        } catch (err) {
          // changed (or gone) since read: the next pass looks again; no value was overwritten
          if ((err as { code?: number }).code === 422 || (err as { code?: number }).code === 404) return { values: [], states: [notReady('Pending', `Secret ${name} changed while adding ${missing.map((e) => e.name).join(', ')}; trying again`)], requeueAfterMs: SHORT_RETRY_MS };
          throw err;
        }
        deps.log?.info({ platform: `${ns}/${p.metadata.name}`, secret: name, entries: missing.map((e) => e.name) }, 'generated application secrets for new entries');
        live = { ...live, data: { ...(live.data ?? {}), ...added } };
      }
    }
    const data = decodeSecretData(live);
    return { values: want.map((e) => ({ name: e.name, secretName: name, value: data[e.name]! })), states: [] };
  }

  /** Delivery operator: Secrets Manager → `<platform>-app-secrets`, on schedule and on change. */
  async function syncFromAws(p: BookingPlatform, env: SecurityEnv): Promise<Piece> {
    const entries = secretsManagerEntries(p);
    const s = p.spec.secrets!;
    const ns = p.metadata.namespace!;
    const name = appSecretsName(p);
    const live = env.get('v1', 'Secret', ns, name);
    const liveData = controlledBy(live, 'BookingPlatform') ? decodeSecretData(live) : {};
    const kept = (names: string[]) => Object.fromEntries(names.filter((n) => n in liveData).map((n) => [n, liveData[n]!]));
    const piece = (data: Record<string, string>, states: ServiceState[], requeueAfterMs?: number): Piece => ({
      values: entries.filter((e) => e.name in data).map((e) => ({ name: e.name, secretName: name, value: data[e.name]! })),
      states,
      // a Secret with values stays applied (never pruned) while a read fails
      objects: Object.keys(data).length ? [appSecret(p, data)] : [],
      requeueAfterMs,
    });
    if (!entries.length) return { values: [], states: [] };
    if (!deps.aws) {
      return piece(kept(entries.map((e) => e.name)), [notReady('NoAwsAccess', `secretsManager entries (${entries.map((e) => e.name).join(', ')}) need AWS access: the operator has no AWS_REGION (chart value aws.region) and credentials`)]);
    }
    // any change of the section (or of the region it reads from) reads again at once
    const key = JSON.stringify([s, p.spec.aws?.region]);
    const last = synced.get(p.metadata.uid!);
    const intervalMs = s.refreshIntervalSeconds * 1000;
    const complete = entries.every((e) => e.name in liveData);
    if (last && last.key === key && complete && now() - last.at < intervalMs) return piece(kept(entries.map((e) => e.name)), [], last.at + intervalMs - now());

    // loaded on the first read, as the clients are (../lazy-aws.ts)
    const { readSecret, SecretKeyError } = await import('../../aws/secrets-manager.ts');
    const data: Record<string, string> = {};
    const states: ServiceState[] = [];
    for (const e of entries) {
      const { secretId, key: jsonKey } = e.secretsManager;
      try {
        const client = (await deps.aws.clients(regionOf(secretId) ?? p.spec.aws?.region ?? deps.aws.region)).secretsManager;
        data[e.name] = (await readSecret(client, secretId, jsonKey)).value;
      } catch (err) {
        states.push(err instanceof SecretKeyError ? notReady('SecretKeyMissing', `entry ${e.name}: ${err.message}`) : withoutFailure(failureState(`entry ${e.name}: read Secrets Manager secret ${secretId}`, err)));
        if (e.name in liveData) data[e.name] = liveData[e.name]!;
      }
    }
    if (states.length) return piece(data, states, RETRY_MS);
    synced.set(p.metadata.uid!, { key, at: now() });
    return piece(data, [], intervalMs);
  }

  /** Delivery external-secrets: the ExternalSecret, and what ESO has written into its target. */
  async function viaExternalSecrets(p: BookingPlatform, env: SecurityEnv): Promise<Piece> {
    const es = externalSecret(p);
    if (!es) return { values: [], states: [] };
    const entries = secretsManagerEntries(p);
    const ns = p.metadata.namespace!;
    const name = appSecretsName(p);
    const target = env.get('v1', 'Secret', ns, name) ?? (await env.read('v1', 'Secret', ns, name));
    const data = controlledBy(target, 'ExternalSecret') ? decodeSecretData(target) : {};
    const values = entries.filter((e) => e.name in data).map((e) => ({ name: e.name, secretName: name, value: data[e.name]! }));
    const refresh = p.spec.secrets!.refreshIntervalSeconds * 1000;
    // from the cache (an optional owned kind, watched once the apiserver serves ESO's CRD; its
    // status changes re-queue the platform); absent until first applied
    const live = env.get(EXTERNAL_SECRET_API, 'ExternalSecret', ns, name);
    const cond = (live?.status?.conditions as Array<{ type: string; status: string; reason?: string; message?: string }> | undefined)?.find((c) => c.type === 'Ready');
    const missing = entries.filter((e) => !(e.name in data)).map((e) => e.name);
    const states: ServiceState[] = [];
    if (cond?.status === 'False') states.push(notReady('ExternalSecretNotReady', `ExternalSecret ${name}: ${cond.reason ?? 'NotReady'}: ${cond.message ?? ''}`.trim()));
    else if (missing.length) states.push(notReady('Pending', `waiting for External Secrets Operator to write ${missing.join(', ')} into Secret ${name}`));
    return { values, objects: [es], states, requeueAfterMs: states.length ? RETRY_MS : refresh };
  }

  /**
   * An ExternalSecret of this platform that is no longer wanted (delivery switched to operator,
   * the entries or the section removed) goes, and with it its target: the operator's own Secret
   * of that name could not be applied beside it (two controllers).
   */
  async function releaseExternalSecret(p: BookingPlatform, env: SecurityEnv): Promise<boolean> {
    if (externalSecret(p)) return false;
    const ns = p.metadata.namespace!;
    const target = env.get('v1', 'Secret', ns, appSecretsName(p));
    const ref = target?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ExternalSecret' && r.name === appSecretsName(p));
    if (!ref) return false;
    const es = env.get(EXTERNAL_SECRET_API, 'ExternalSecret', ns, ref.name);
    if (!es || es.metadata.uid !== ref.uid || !es.metadata.ownerReferences?.some((o) => o.uid === env.raw.metadata.uid)) return false;
    await env.delete({ apiVersion: EXTERNAL_SECRET_API, kind: 'ExternalSecret', namespace: ns, name: ref.name }, ref.uid);
    deps.log?.info({ platform: `${ns}/${p.metadata.name}`, externalSecret: ref.name }, 'deleted the ExternalSecret no longer wanted');
    return true;
  }

  return {
    name: 'secrets',
    wanted: (p) => p.spec.secrets !== undefined,
    // everything lives in the namespace, owned by the platform
    needsCleanup: () => false,
    async observe(p, env): Promise<PartObservation> {
      const switching = await releaseExternalSecret(p, env);
      const s = p.spec.secrets;
      if (!s) return { state: ready('no application secrets') };
      // no facts: the part cannot tell this pass what the consumers get, so the reconciler changes
      // none of them and prunes nothing until the next pass (security/index.ts)
      if (switching) return { state: notReady('Pending', `deleting ExternalSecret ${appSecretsName(p)} (delivery is no longer external-secrets)`), requeueAfterMs: SHORT_RETRY_MS };
      const generated = await ensureGenerated(p, env);
      if (generated.unsure) return { state: combine(generated.states), requeueAfterMs: generated.requeueAfterMs };
      const fromAws = s.delivery === 'external-secrets' ? await viaExternalSecrets(p, env) : await syncFromAws(p, env);
      const values = [...generated.values, ...fromAws.values];
      const states = [...generated.states, ...fromAws.states];
      const waits = [generated.requeueAfterMs, fromAws.requeueAfterMs].filter((x): x is number => x !== undefined);
      return {
        state: states.length ? combine(states) : ready(`${values.length} variable${values.length === 1 ? '' : 's'} for ${s.consumers.join(', ')}`),
        facts: { appSecrets: { env: values.map(({ name, secretName }) => ({ name, secretName })), hash: values.length ? valuesHash(values) : undefined, consumers: s.consumers } },
        objects: fromAws.objects ?? [],
        ...(waits.length ? { requeueAfterMs: Math.min(...waits) } : {}),
      };
    },
    remove: async () => ({ done: true, message: 'application secrets go with the platform' }),
  };
}

/**
 * Deletion that leaves the database's data behind (the reconciler decides): the generated Secret
 * of the platform being deleted is let go of, so garbage collection keeps it — this platform's
 * owner reference and the operator's labels dropped, `credential-for` naming the platform — by a
 * JSON patch guarded by uid and resourceVersion. A Secret of that name that is not this
 * platform's is left alone. Returns the Secret let go of (none when there is nothing of ours).
 */
export async function releaseGeneratedSecret(env: SecurityEnv): Promise<{ done: boolean; secret?: string; message: string }> {
  const { name: platform, namespace, uid } = env.raw.metadata;
  // only the name is read: the stored spec of a platform being deleted need not be valid
  const name = generatedSecretName({ metadata: { name: platform } } as BookingPlatform);
  const live = await env.read('v1', 'Secret', namespace!, name);
  if (!live?.metadata.ownerReferences?.some((r) => r.uid === uid)) return { done: true, message: `no Secret ${name} of this platform` };
  const owners = live.metadata.ownerReferences.filter((r) => r.uid !== uid);
  const keptLabels = Object.fromEntries(Object.entries(live.metadata.labels ?? {}).filter(([k]) => k !== 'app.kubernetes.io/managed-by' && k !== PLATFORM_LABEL));
  try {
    await env.patch({ apiVersion: 'v1', kind: 'Secret', namespace: namespace!, name }, [
      { op: 'test', path: '/metadata/uid', value: live.metadata.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
      owners.length ? { op: 'add', path: '/metadata/ownerReferences', value: owners } : { op: 'remove', path: '/metadata/ownerReferences' },
      { op: 'add', path: '/metadata/labels', value: keptLabels },
      { op: 'add', path: '/metadata/annotations', value: { ...(live.metadata.annotations ?? {}), [CREDENTIAL_FOR_ANNOTATION]: releasedFor(platform) } },
    ]);
  } catch (err) {
    if ((err as { code?: number }).code === 422 || (err as { code?: number }).code === 404) return { done: false, message: `Secret ${name} changed while letting it go; trying again` };
    throw err;
  }
  return { done: true, secret: name, message: `let go of Secret ${name}` };
}

/** Let go of at deletion by a platform of this name (namespace: the Secret's own), and no platform's since. */
function letGoOfFor(o: Obj, platformName: string): boolean {
  return o.metadata.annotations?.[CREDENTIAL_FOR_ANNOTATION] === releasedFor(platformName) && !o.metadata.ownerReferences?.some((r) => r.kind === 'BookingPlatform');
}

/** The Secret's controller is of this kind (ours: BookingPlatform; ESO's target: ExternalSecret). */
function controlledBy(o: Obj | undefined, kind: string): boolean {
  return Boolean(o?.metadata.ownerReferences?.some((r) => r.controller && r.kind === kind));
}

/** The region in a Secrets Manager ARN (`arn:aws:secretsmanager:<region>:…`). */
export function regionOf(secretId: string): string | undefined {
  return /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1];
}

/** Generated entries a consumer's live workload already reads: their old values were in use. */
function usedGeneratedEntries(p: BookingPlatform, env: SecurityEnv, names: string[]): string[] {
  const ns = p.metadata.namespace!;
  const used = new Set<string>();
  for (const c of p.spec.secrets?.consumers ?? []) {
    for (const kind of ['Deployment', 'StatefulSet']) {
      const w = env.get('apps/v1', kind, ns, childName(p, c));
      for (const ctr of (w?.spec?.template?.spec?.containers ?? []) as Array<{ env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name?: string } } }> }>) {
        for (const e of ctr.env ?? []) if (e.valueFrom?.secretKeyRef?.name === generatedSecretName(p) && names.includes(e.name)) used.add(e.name);
      }
    }
  }
  return [...used].sort();
}

const withoutFailure = ({ failure: _failure, ...state }: ServiceState & { failure: unknown }): ServiceState => state;

/** One state from several problems: the first one's reason, every message; terminal if any is. */
function combine(states: ServiceState[]): ServiceState {
  return notReady(states[0]!.reason, states.map((s) => s.message).join('; '), states.some((s) => s.terminal));
}
