import { describe, expect, it } from 'vitest';
import { KindDiscovery, OWNED_KINDS } from './kinds.ts';

describe('KindDiscovery', () => {
  it('reports optional kinds once they are served, each once; a check within the interval waits its turn', async () => {
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

    // a check sooner than the interval waits for its turn instead of being dropped
    const spaced = new KindDiscovery(serves, OWNED_KINDS, 100);
    await spaced.check();
    lookups.length = 0;
    const next = spaced.check();
    await Promise.resolve();
    expect(lookups).toEqual([]);
    await next;
    expect(lookups.length).toBe(optional.length - 1);
  });

  it('reports each kind to one caller only when calls overlap; an error leaves the kinds unserved', async () => {
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
    calls = 0;
    const [a, b] = await Promise.all([d.check(), d.check()]);
    expect(calls).toBe(a.length); // one lookup per kind: the second call shared the check
    expect(a.length).toBe(OWNED_KINDS.filter((k) => k.optional).length);
    expect(b).toEqual([]); // started no second set of informers
    expect(d.unserved()).toEqual([]);
  });
});
