/**
 * The connection Secret's content, from what the providers observed (pure). Formats are the ones
 * the apps use: `postgresql://…` for PostgreSQL, `mysql+asyncmy://…` for MySQL FastAPI apps,
 * `rediss://` when Redis encrypts in transit.
 */
import type { BookingPlatform } from '../api/types.generated.ts';
import { shortHash } from '../render/names.ts';
import type { DataObservation, DatabaseConnection } from './types.ts';
import { wantedServices } from './types.ts';

export function databaseUrl(c: DatabaseConnection): string {
  const scheme = c.engine.includes('mysql') ? 'mysql+asyncmy' : 'postgresql';
  return `${scheme}://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(c.name)}`;
}

/**
 * The Secret's data when every wanted service that workloads connect to is usable; otherwise
 * undefined (workloads then wait rather than crash-loop).
 */
export function connectionData(p: BookingPlatform, o: DataObservation): Record<string, string> | undefined {
  const data: Record<string, string> = {};
  for (const s of wantedServices(p)) {
    if (s === 'database') {
      const c = o.database?.connection;
      if (!o.database?.ready || !c) return undefined;
      Object.assign(data, { DATABASE_URL: databaseUrl(c), DB_HOST: c.host, DB_PORT: String(c.port), DB_NAME: c.name, DB_USER: c.user, DB_PASSWORD: c.password });
    } else if (s === 'cache') {
      if (!o.cache?.ready || !o.cache.url) return undefined;
      data.REDIS_URL = o.cache.url;
    } else if (s === 'uploads') {
      if (!o.uploads?.ready || !o.uploads.bucket) return undefined;
      data.UPLOADS_BUCKET = o.uploads.bucket;
      if (o.uploads.region) data.AWS_REGION = o.uploads.region;
    }
  }
  return data;
}

/** The master user's name and password as RDS keeps them in Secrets Manager (credentials mode `managed`). */
export interface MasterCredentials {
  user: string;
  password: string;
}

/** A managed secret that is not what RDS writes: the message names the secret, never its text. */
export class MasterSecretFormatError extends Error {
  constructor(secretArn: string, why: string) {
    super(`secret ${secretArn} ${why}`);
    this.name = 'MasterSecretFormatError';
  }
}

/** RDS's own secret for a managed master password: a JSON string `{"username": …, "password": …}`. */
export function parseMasterUserSecret(secretArn: string, text: string): MasterCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new MasterSecretFormatError(secretArn, 'is not the JSON RDS writes ({"username", "password"})');
  }
  const { username, password } = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  if (typeof username !== 'string' || !username || typeof password !== 'string' || !password) {
    throw new MasterSecretFormatError(secretArn, 'lacks the "username" or "password" RDS writes');
  }
  return { user: username, password };
}

/** Content hash for the pod-template annotation: a change rolls the pods. */
export function connectionHash(data: Record<string, string>): string {
  return shortHash(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)), 16);
}

export function redisUrl(host: string, port: number, tls: boolean): string {
  return `${tls ? 'rediss' : 'redis'}://${host}:${port}/0`;
}
