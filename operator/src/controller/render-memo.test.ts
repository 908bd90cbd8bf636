/**
 * The render memo never serves a stale render: every call gives exactly what renderPlatform gives
 * for that input, whether it rendered or reused; only an unchanged input is reused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePlatform } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { renderPlatform, type Facts } from '../render/index.ts';
import { DEFAULT_CONTEXT } from '../render/names.ts';
import { validPlatform } from '../../test/fixtures/arbitrary.ts';
import { EXAMPLE_FILES, example, platform, withMcp } from '../../test/fixtures/platform.ts';
import { RenderMemo } from './render-memo.ts';

const FACTS: Facts = { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' };
const key = (p: BookingPlatform) => `${p.metadata.namespace}/${p.metadata.name}`;

/** A memo whose renders are counted. */
function counted(maxBytes?: number) {
  const calls: BookingPlatform[] = [];
  const memo = new RenderMemo({ maxBytes, render: (p, f, c) => (calls.push(p), renderPlatform(p, f, c)) });
  return { memo, calls };
}

/** The platform as the informer hands it over after another write: new resourceVersion and status. */
function rewritten(p: BookingPlatform, rv: string): BookingPlatform {
  return { ...p, metadata: { ...p.metadata, resourceVersion: rv }, status: { phase: 'Ready', observedGeneration: 1 } } as BookingPlatform;
}

describe('RenderMemo', () => {
  it.each(EXAMPLE_FILES)('gives what renderPlatform gives for %s, rendered or reused', (file) => {
    const p = example(file);
    const { memo, calls } = counted();
    const first = memo.render(key(p), p, FACTS, DEFAULT_CONTEXT);
    const again = memo.render(key(p), rewritten(p, '42'), FACTS, DEFAULT_CONTEXT);
    // strict: a JSON round trip that lost an undefined-valued key would fail here
    expect(first).toStrictEqual(renderPlatform(p, FACTS, DEFAULT_CONTEXT));
    expect(again).toStrictEqual(first);
    expect(calls).toHaveLength(1);
    expect(memo.counts).toEqual({ rendered: 1, reused: 1 });
  });

  it('renders anew when the spec, the facts, the context or the metadata change', () => {
    const p = platform('shop', withMcp({ name: 'calendar', image: 'registry.example/mcp:1', port: 7001 }));
    const changedSpec = platform('shop', withMcp({ name: 'calendar', image: 'registry.example/mcp:2', port: 7001 }));
    const labelled = { ...p, metadata: { ...p.metadata, labels: { team: 'a' } } } as BookingPlatform;
    const { memo, calls } = counted();
    const cases: Array<[BookingPlatform, Facts, string]> = [
      [p, {}, 'default'],
      [changedSpec, {}, 'default'],
      [changedSpec, { connectionHash: 'a' }, 'default'],
      [changedSpec, { connectionHash: 'b' }, 'default'],
      [changedSpec, { connectionHash: 'b', roleArns: { backend: 'arn:aws:iam::123456789012:role/x' } }, 'default'],
      [changedSpec, { connectionHash: 'b', roleArns: { backend: 'arn:aws:iam::123456789012:role/x' } }, 'eu-1'],
      [labelled, {}, 'eu-1'],
      // back to the first input: the entry holds only the last one, so this renders too
      [p, {}, 'default'],
    ];
    for (const [platform_, facts, clusterName] of cases) {
      expect(memo.render('shop/shop', platform_, facts, { clusterName })).toStrictEqual(renderPlatform(platform_, facts, { clusterName }));
    }
    expect(calls).toHaveLength(cases.length);
    // the changed image reached the output (not just a counter)
    expect(JSON.stringify(memo.render('shop/shop', changedSpec, {}, DEFAULT_CONTEXT))).toContain('registry.example/mcp:2');
  });

  it('tells a fact given as undefined from an absent one', () => {
    const p = platform('shop');
    const { memo, calls } = counted();
    memo.render('shop/shop', p, {}, DEFAULT_CONTEXT);
    memo.render('shop/shop', p, { connectionHash: undefined }, DEFAULT_CONTEXT);
    expect(calls).toHaveLength(2);
  });

  it('hands out copies: changing what one call returned does not reach the next', () => {
    const p = platform('shop');
    const memo = new RenderMemo();
    // the first call renders, the others reuse: change what each of them handed out
    for (let i = 0; i < 3; i++) {
      const got = memo.render('shop/shop', p, {}, DEFAULT_CONTEXT);
      expect(got).toStrictEqual(renderPlatform(p, {}, DEFAULT_CONTEXT));
      got[0]!.metadata.name = 'changed';
      got.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' } });
    }
    expect(memo.counts).toEqual({ rendered: 1, reused: 2 });
  });

  it('forgets a dropped platform, and holds at most `maxBytes` of JSON, the least recently used going first', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => platform(n));
    // room for two of these platforms (their names are as long, so their JSON too), not three
    const size = JSON.stringify(renderPlatform(a!, {}, DEFAULT_CONTEXT)).length;
    const { memo, calls } = counted(2.5 * size);
    memo.render('a/a', a!, {}, DEFAULT_CONTEXT);
    memo.render('b/b', b!, {}, DEFAULT_CONTEXT);
    memo.render('a/a', a!, {}, DEFAULT_CONTEXT); // reused; b is now the least recently used
    memo.render('c/c', c!, {}, DEFAULT_CONTEXT); // b goes
    expect(memo.size).toBe(2);
    expect(memo.heldBytes).toBe(2 * size);
    expect(calls.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
    memo.render('a/a', a!, {}, DEFAULT_CONTEXT);
    memo.render('b/b', b!, {}, DEFAULT_CONTEXT);
    expect(calls.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'b']);
    memo.drop('b/b');
    expect(memo.heldBytes).toBe(size);
    memo.render('b/b', b!, {}, DEFAULT_CONTEXT);
    expect(calls.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'b', 'b']);
  });

  it('keeps nothing larger than its budget, and still renders it', () => {
    const p = platform('shop');
    const { memo, calls } = counted(100);
    expect(memo.render('shop/shop', p, {}, DEFAULT_CONTEXT)).toStrictEqual(renderPlatform(p, {}, DEFAULT_CONTEXT));
    memo.render('shop/shop', p, {}, DEFAULT_CONTEXT);
    expect(calls).toHaveLength(2);
    expect(memo.size).toBe(0);
  });

  it('in any sequence of renders of generated platforms and facts, gives exactly what renderPlatform gives', () => {
    // few distinct facts and contexts, so that steps often repeat them (what the memo reuses)
    const facts = fc.constantFrom<Facts>({}, { connectionHash: 'h1' }, { connectionHash: 'h1', fileSystemId: 'fs-1', accessPointId: 'fsap-1' });
    const step = fc.record({ platform: fc.nat(), name: fc.constantFrom('one', 'two'), facts, cluster: fc.constantFrom('default', 'eu-1'), rv: fc.nat() });
    fc.assert(
      fc.property(fc.array(validPlatform, { minLength: 2, maxLength: 3 }), fc.array(step, { minLength: 1, maxLength: 8 }), (raws, steps) => {
        const parsed = raws.map((r) => parsePlatform(r)).flatMap((r) => (r.ok ? [r.platform] : []));
        if (!parsed.length) return;
        // room for about two renders: entries come and go as the steps go on
        const memo = new RenderMemo({ maxBytes: 40_000 });
        for (const s of steps) {
          const p = rewritten(parsed[s.platform % parsed.length]!, String(s.rv));
          expect(memo.render(key(p), p, s.facts, { clusterName: s.cluster })).toStrictEqual(renderPlatform(p, s.facts, { clusterName: s.cluster }));
          // every platform under one key, with one of two names: a changed spec or name must never
          // get another's render
          const same = { ...p, metadata: { ...p.metadata, name: s.name, namespace: 'ns' } } as BookingPlatform;
          expect(memo.render('ns/shared', same, s.facts, { clusterName: s.cluster })).toStrictEqual(renderPlatform(same, s.facts, { clusterName: s.cluster }));
        }
      }),
      { numRuns: 20 },
    );
  });
});
