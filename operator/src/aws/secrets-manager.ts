/**
 * Reading Secrets Manager secrets: the one home for GetSecretValue and for picking a JSON key out
 * of a secret string. Values are returned to the caller only; never logged, never in messages.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretRead {
  /** The secret's whole string (or the chosen JSON key's value). */
  value: string;
  /** The version read (AWSCURRENT's id): a change means the secret was rotated. */
  versionId?: string;
  arn?: string;
}

/** Thrown when the secret has no such JSON key or is not JSON: the message names the key, never the value. */
export class SecretKeyError extends Error {
  constructor(secretId: string, key: string, why: string) {
    super(`secret ${secretId}: ${why} "${key}"`);
    this.name = 'SecretKeyError';
  }
}

export async function readSecret(client: SecretsManagerClient, secretId: string, key?: string): Promise<SecretRead> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const whole = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : '');
  return { value: key === undefined ? whole : jsonKey(secretId, whole, key), versionId: out.VersionId, arn: out.ARN };
}

function jsonKey(secretId: string, whole: string, key: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(whole);
  } catch {
    throw new SecretKeyError(secretId, key, 'is not JSON, so it has no key');
  }
  const v = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined;
  if (v === undefined || v === null) throw new SecretKeyError(secretId, key, 'has no key');
  return typeof v === 'string' ? v : JSON.stringify(v);
}
