import { describe, expect, it } from 'vitest';
import { platform, withCache, withDatabase, withUploads } from '../../test/fixtures/platform.ts';
import { connectionData, connectionHash, databaseUrl, redisUrl } from './connection.ts';

const conn = { engine: 'postgres', host: 'db.example', port: 5432, name: 'booking', user: 'booking', password: 'p@ss/word' };

describe('connection details', () => {
  it('uses the drivers the apps use, with credentials URL-encoded', () => {
    expect(databaseUrl(conn)).toBe('postgresql://booking:p%40ss%2Fword@db.example:5432/booking');
    expect(databaseUrl({ ...conn, engine: 'aurora-mysql', port: 3306 })).toBe('mysql+asyncmy://booking:p%40ss%2Fword@db.example:3306/booking');
    expect(redisUrl('r.example', 6379, true)).toBe('rediss://r.example:6379/0');
    expect(redisUrl('r.example', 6379, false)).toBe('redis://r.example:6379/0');
  });

  it('is complete only when every wanted service is usable', () => {
    const p = platform('acme', withDatabase(), withCache(), withUploads());
    const ok = { ready: true, reason: 'Available', message: '' };
    const all = { database: { ...ok, connection: conn }, cache: { ...ok, url: 'rediss://r:6379/0' }, uploads: { ...ok, bucket: 'b', region: 'us-east-1' } };
    expect(connectionData(p, all)).toEqual({
      DATABASE_URL: databaseUrl(conn), DB_HOST: 'db.example', DB_PORT: '5432', DB_NAME: 'booking', DB_USER: 'booking', DB_PASSWORD: 'p@ss/word',
      REDIS_URL: 'rediss://r:6379/0', UPLOADS_BUCKET: 'b', AWS_REGION: 'us-east-1',
    });
    expect(connectionData(p, { ...all, cache: { ready: false, reason: 'Creating', message: '' } })).toBeUndefined();
  });

  it('hashes content independent of key order, and changes with it', () => {
    expect(connectionHash({ A: '1', B: '2' })).toBe(connectionHash({ B: '2', A: '1' }));
    expect(connectionHash({ A: '1' })).not.toBe(connectionHash({ A: '2' }));
  });
});
