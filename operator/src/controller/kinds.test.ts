import { describe, expect, it } from 'vitest';
import { KindDiscovery, OWNED_KINDS } from './kinds.ts';

describe('KindDiscovery', () => {
  it('reports optional kinds once they are served, each once, and only looks again after the interval', async () => {
    const served = new Set<string>();
    const lookups: string[] = [];
    const serves = async (apiVersion: string, kind: string) => {
      lookups.push(kind);
      return served.has(`${apiVersion}/${kind}`);
    };
    const d = new KindDiscovery(serves, OWNED_KINDS, 0);
    const optional = OWNED_KINDS.filter((k) => k.optional);
    expect(await d.check()).toEqual([]);
    expect(lookups.length).toBe(optional.length); // required kinds are never looked up
    expect(d.unserved()).toEqual(optional);

    const instance = optional.find((k) => k.kind === 'DBInstance')!;
    served.add(`${instance.apiVersion}/DBInstance`);
    expect(d.isUnserved(instance.apiVersion, 'DBInstance')).toBe(true);
    expect(await d.check()).toEqual([instance]);
    expect(d.isUnserved(instance.apiVersion, 'DBInstance')).toBe(false);
    expect(await d.check()).toEqual([]);

    const throttled = new KindDiscovery(serves, OWNED_KINDS, 60_000);
    await throttled.check();
    lookups.length = 0;
    expect(await throttled.check()).toEqual([]);
    expect(lookups).toEqual([]);
  });

  it('shares one check between concurrent callers; an error leaves the kinds unserved', async () => {
    let calls = 0;
    let fail = true;
    const d = new KindDiscovery(async () => {
      calls++;
      if (fail) throw new Error('apiserver unavailable');
      return true;
    }, OWNED_KINDS, 0);
    await expect(Promise.all([d.check(), d.check()])).rejects.toThrow('apiserver unavailable');
    expect(calls).toBe(1);
    fail = false;
    const [a, b] = await Promise.all([d.check(), d.check()]);
    expect(a).toBe(b);
    expect(a.length).toBe(OWNED_KINDS.filter((k) => k.optional).length);
    expect(d.unserved()).toEqual([]);
  });
});
