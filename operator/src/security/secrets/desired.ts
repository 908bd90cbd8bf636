/**
 * Application secrets, the pure half: names, the Secret and ExternalSecret objects, the values'
 * hash and the generator. Two Secrets hold the variables:
 *
 * - `<platform>-generated-secrets`: `generate` entries, created once by the operator and never
 *   written again except to add a key for a new entry. It carries an owner reference to the
 *   platform without `controller`, so it is never pruned (prune takes controller-owned objects
 *   only, and these values must outlive an entry being removed and put back). It goes with the
 *   platform (garbage collection) unless deletion leaves the database's data behind: then it is
 *   let go of (no owner reference, `credential-for` names the platform) and a platform of the same
 *   name takes it back, values unchanged; any other Secret of that name is never read or written.
 * - `<platform>-app-secrets`: `secretsManager` entries, written by the operator (delivery
 *   `operator`, applied and pruned with the platform's children) or by External Secrets Operator
 *   from the ExternalSecret of the same name (delivery `external-secrets`).
 */
import type { BookingPlatform, SecretEntry } from '../../api/types.generated.ts';
import type { KubeObject } from '../../render/index.ts';
import { childName, labels, MANAGED_BY, PLATFORM_LABEL, shortHash } from '../../render/names.ts';

export const generatedSecretName = (p: BookingPlatform) => childName(p, 'generated-secrets');
export const appSecretsName = (p: BookingPlatform) => childName(p, 'app-secrets');

export const EXTERNAL_SECRET_API = 'external-secrets.io/v1';

export type GeneratedEntry = SecretEntry & { generate: NonNullable<SecretEntry['generate']> };
export type SecretsManagerEntry = SecretEntry & { secretsManager: NonNullable<SecretEntry['secretsManager']> };

export const generatedEntries = (p: BookingPlatform): GeneratedEntry[] => (p.spec.secrets?.entries ?? []).filter((e): e is GeneratedEntry => e.generate !== undefined);
export const secretsManagerEntries = (p: BookingPlatform): SecretsManagerEntry[] =>
  (p.spec.secrets?.entries ?? []).filter((e): e is SecretsManagerEntry => e.secretsManager !== undefined);

/** 64 characters of A–Z a–z 0–9 - _ by default: base64url of random bytes (6 bits each, uniform). */
export function generateValue(length: number, random: (bytes: number) => Buffer): string {
  return random(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length);
}

const b64 = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/**
 * On a generated Secret let go of at deletion: whose values it holds. The same annotation the
 * reconciler puts on a kept master password Secret (CREDENTIAL_FOR_ANNOTATION there); only a
 * platform of this name in this namespace takes the Secret back.
 */
export const CREDENTIAL_FOR_ANNOTATION = 'platform.booking.io/credential-for';
export const releasedFor = (platformName: string) => `application secrets of BookingPlatform ${platformName}`;

/** The owner reference the generated Secret carries: owned, not controlled (see the header). */
export const generatedSecretOwner = (platformName: string, platformUid: string) =>
  ({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: platformName, uid: platformUid, controller: false, blockOwnerDeletion: true }) as const;

/** The generated Secret as first created: owned by the platform, not controlled (see the header). */
export function generatedSecret(p: BookingPlatform, platformUid: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: generatedSecretName(p),
      namespace: p.metadata.namespace ?? 'default',
      labels: labels(p, 'generated-secrets', 'credentials'),
      ownerReferences: [generatedSecretOwner(p.metadata.name, platformUid)],
    },
    data: b64(data),
  };
}

/** Delivery operator: the synced Secret, applied with the platform's children (the reconciler adds the owner). */
export function appSecret(p: BookingPlatform, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: appSecretsName(p), namespace: p.metadata.namespace ?? 'default', labels: labels(p, 'app-secrets', 'credentials') },
    data: b64(data),
  };
}

/**
 * Delivery external-secrets: ESO reads Secrets Manager through the given store and owns the
 * target Secret (creationPolicy Owner: it goes with the ExternalSecret). The target carries our
 * labels, so the operator's Secret watch sees ESO's writes and rolls the consumers at once.
 */
export function externalSecret(p: BookingPlatform): KubeObject | undefined {
  const s = p.spec.secrets;
  const entries = secretsManagerEntries(p);
  if (!s || s.delivery !== 'external-secrets' || !s.secretStoreRef || !entries.length) return undefined;
  return {
    apiVersion: EXTERNAL_SECRET_API,
    kind: 'ExternalSecret',
    metadata: { name: appSecretsName(p), namespace: p.metadata.namespace ?? 'default', labels: labels(p, 'app-secrets', 'credentials') },
    spec: {
      refreshInterval: `${s.refreshIntervalSeconds}s`,
      secretStoreRef: { name: s.secretStoreRef.name, kind: s.secretStoreRef.kind },
      target: {
        name: appSecretsName(p),
        creationPolicy: 'Owner',
        template: { metadata: { labels: { 'app.kubernetes.io/managed-by': MANAGED_BY, [PLATFORM_LABEL]: p.metadata.name } } },
      },
      data: entries.map((e) => ({ secretKey: e.name, remoteRef: { key: e.secretsManager.secretId, ...(e.secretsManager.key ? { property: e.secretsManager.key } : {}) } })),
    },
  };
}

/** Hash of every value the consumers get (and of which Secret holds it): a change rolls them. */
export function valuesHash(values: Array<{ name: string; secretName: string; value: string }>): string {
  return shortHash([...values].sort((a, b) => a.name.localeCompare(b.name)).map((v) => [v.secretName, v.name, v.value]), 16);
}
