/**
 * A Secret's `data` as strings: the one place its base64 is decoded (as UTF-8). The values stay
 * in memory only — never in status, logs or Events.
 */
import type { KubeClient, Obj } from './client.ts';

/** The Secret's data decoded; `{}` when there is no Secret or it has no data. */
export function decodeSecretData(secret: Obj | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries((secret?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** The data of Secret `namespace/name`, decoded; undefined when there is no such Secret. */
export async function readSecretData(client: Pick<KubeClient, 'get'>, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace });
  return secret ? decodeSecretData(secret) : undefined;
}
