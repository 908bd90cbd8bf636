import { describe, expect, it } from 'vitest';
import type { ObjectRef, Obj } from './client.ts';
import { decodeSecretData, readSecretData } from './secret-data.ts';

const secret = (data?: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, ...(data ? { data } : {}) });
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('decodeSecretData', () => {
  it('decodes every key from base64 as UTF-8', () => {
    expect(decodeSecretData(secret({ password: b64('pä$$ wörd'), url: b64('postgresql://u@h:5432/db'), empty: '' }))).toEqual({ password: 'pä$$ wörd', url: 'postgresql://u@h:5432/db', empty: '' });
  });

  it('gives {} for a Secret without data, and for none', () => {
    expect(decodeSecretData(secret())).toEqual({});
    expect(decodeSecretData(undefined)).toEqual({});
  });
});

describe('readSecretData', () => {
  it('reads the named Secret and decodes it; undefined when it does not exist', async () => {
    const asked: ObjectRef[] = [];
    const client = {
      get: async (ref: ObjectRef) => {
        asked.push(ref);
        return ref.name === 'there' ? secret({ k: b64('v') }) : undefined;
      },
    };
    expect(await readSecretData(client, 'ns', 'there')).toEqual({ k: 'v' });
    expect(await readSecretData(client, 'ns', 'gone')).toBeUndefined();
    expect(asked).toEqual([
      { apiVersion: 'v1', kind: 'Secret', name: 'there', namespace: 'ns' },
      { apiVersion: 'v1', kind: 'Secret', name: 'gone', namespace: 'ns' },
    ]);
  });
});
