/**
 * The `external` provider: existing endpoints, read from the Secrets the spec references.
 * Database Secret keys: host, port, dbname, username, password. Cache Secret key: url.
 */
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, type DataObservation, type DataServices, type FinalizeResult } from './types.ts';

/** Reads a Secret's decoded data (undefined: no such Secret). */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class ExternalDataServices implements DataServices {
  private readonly readSecret: SecretReader;
  constructor(readSecret: SecretReader) {
    this.readSecret = readSecret;
  }

  async observe(p: BookingPlatform): Promise<DataObservation> {
    const ns = p.metadata.namespace ?? 'default';
    const o: DataObservation = {};
    const db = p.spec.database;
    if (db?.external) {
      const name = db.external.secretRef.name;
      const s = await this.readSecret(ns, name);
      const missing = ['host', 'port', 'dbname', 'username', 'password'].filter((k) => !s?.[k]);
      if (!s) o.database = notReady('SecretNotFound', `Secret ${name} (database.external.secretRef) not found`);
      else if (missing.length) o.database = notReady('SecretIncomplete', `Secret ${name} lacks key(s) ${missing.join(', ')}`);
      else {
        o.database = { ...ready(`external database ${s.host}:${s.port}`), connection: { engine: db.engine, host: s.host!, port: Number(s.port), name: s.dbname!, user: s.username!, password: s.password! } };
      }
    }
    const cache = p.spec.cache;
    if (cache?.external) {
      const name = cache.external.secretRef.name;
      const s = await this.readSecret(ns, name);
      if (!s) o.cache = notReady('SecretNotFound', `Secret ${name} (cache.external.secretRef) not found`);
      else if (!s.url || !/^rediss?:\/\//.test(s.url)) o.cache = notReady('SecretIncomplete', `Secret ${name} needs key url (redis:// or rediss://)`);
      else o.cache = { ...ready('external Redis'), url: s.url };
    }
    const fs = p.spec.fileSystem.external;
    if (fs && p.spec.whatsapp?.enabled) {
      o.fileSystem = { ...ready(`existing file system ${fs.fileSystemId}`), fileSystemId: fs.fileSystemId, accessPointId: fs.accessPointId };
    }
    if (p.spec.uploads?.enabled && p.spec.uploads.bucketName) {
      o.uploads = { ...ready(`existing bucket ${p.spec.uploads.bucketName}`), bucket: p.spec.uploads.bucketName, region: p.spec.aws?.region };
    }
    if ([o.database, o.cache].some((x) => x && !x.ready)) o.requeueAfterMs = 30_000;
    return o;
  }

  /** Nothing of ours exists in the cloud: external services are left as they are. */
  async remove(): Promise<FinalizeResult> {
    return { done: true, message: 'external services are left as they are' };
  }
}
