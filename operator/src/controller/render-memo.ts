/**
 * The last render of each platform, reused while its input is unchanged.
 *
 * renderPlatform is pure (render/index.ts): the same platform, facts and context give the same
 * objects. Most reconciles of a platform follow its children's status (a Deployment rolling out,
 * an HPA's first look) and render exactly what the previous one did; building the cdk8s tree again
 * was the largest part of the reconciler's CPU in the bench, 14–19 % of the operator's main thread
 * (docs/benchmarks.md, "Operator CPU per platform"). So each platform keeps one entry: a hash of
 * the whole input and the objects as JSON. A different input (spec, metadata, facts, context)
 * renders anew and replaces the entry; what the apiserver changes on every write (resourceVersion,
 * managedFields, status), which no renderer reads, is left out of the input. Every call returns
 * fresh objects parsed from the stored JSON, a miss as much as a hit, so what a caller does to
 * them cannot reach the next call and both paths give the same thing. The entry is dropped with
 * the platform; the entries hold at most `maxBytes` of JSON together (the least recently rendered
 * go first).
 */
import { createHash } from 'node:crypto';
import type { BookingPlatform } from '../api/types.generated.ts';
import { renderPlatform, type Facts, type KubeObject, type RenderContext } from '../render/index.ts';

/**
 * The JSON of a bench platform is about 8 KiB, that of a full production platform (every example)
 * 14–50 KiB: 16 MiB holds about 2 000 of the first, 350 of the largest.
 */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

interface Entry {
  input: string;
  json: string;
}

export class RenderMemo {
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number;
  private bytes = 0;
  private readonly renderer: typeof renderPlatform;
  /** Renders done and renders reused (for tests and the bench's notes). */
  readonly counts = { rendered: 0, reused: 0 };

  constructor(opts: { maxBytes?: number; render?: typeof renderPlatform } = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.renderer = opts.render ?? renderPlatform;
  }

  /** renderPlatform(p, facts, ctx), from the entry of `key` (the platform's namespace/name) when its input is unchanged. */
  render(key: string, p: BookingPlatform, facts: Facts, ctx: RenderContext): KubeObject[] {
    const input = inputHash(p, facts, ctx);
    const found = this.entries.get(key);
    // re-inserted on every use: Map order is then least recently used first
    this.drop(key);
    if (found?.input === input) {
      this.keep(key, found);
      this.counts.reused++;
      return JSON.parse(found.json) as KubeObject[];
    }
    const json = JSON.stringify(this.renderer(p, facts, ctx));
    this.counts.rendered++;
    this.keep(key, { input, json });
    return JSON.parse(json) as KubeObject[];
  }

  /** Forgets the platform (it is gone). */
  drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.json.length;
  }

  /** Characters of JSON held by all entries (about bytes: V8 keeps ASCII text at one byte a character). */
  get heldBytes(): number {
    return this.bytes;
  }

  private keep(key: string, e: Entry): void {
    if (e.json.length > this.maxBytes) return;
    this.entries.set(key, e);
    this.bytes += e.json.length;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Everything a renderer can read, hashed: the platform without what changes on every write of it
 * (resourceVersion, managedFields, status), the facts and the context. Their values come from
 * JSON (the apiserver's objects, defaulted; observed ids and hashes), where the text tells values
 * apart; a key present as undefined is marked too, so it differs from an absent one.
 */
function inputHash(p: BookingPlatform, facts: Facts, ctx: RenderContext): string {
  const { status: _status, metadata, ...rest } = p as BookingPlatform & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata as typeof metadata & { resourceVersion?: unknown; managedFields?: unknown };
  return createHash('sha256').update(JSON.stringify([rest, meta, facts, ctx], markUndefined)).digest('hex');
}

const UNDEFINED = '\u0000undefined';
const markUndefined = (_key: string, value: unknown) => (value === undefined ? UNDEFINED : value);
