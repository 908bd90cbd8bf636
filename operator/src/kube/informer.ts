/**
 * A list+watch cache of one kind that does not give up.
 *
 * client-node's informer stops for good on some errors and can stall silently; this one runs a
 * loop: list (replacing the cache and emitting the differences), then watch from the list's
 * resourceVersion with bookmarks, re-watching after a normal close and relisting on 410 Gone.
 * Errors back off exponentially (capped); a watchdog aborts a watch that has been silent for
 * longer than the server's own timeout, so a stalled connection is noticed and replaced.
 *
 * stop() ends it at once, wherever it is: the list or watch request under way is aborted (before
 * its answer too) and its connection closed, so nothing of it holds the process after SIGTERM.
 */
import type { Logger } from 'pino';
import { KubeError, type KubeClient, type Obj } from './client.ts';
import { Sleeper } from '../util/sleeper.ts';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  /** Seconds the server keeps one watch open (it closes it after, and we re-watch). */
  watchTimeoutSeconds?: number;
  /** Silence longer than this (ms) aborts the watch. Default: watch timeout + 30 s. */
  watchdogMs?: number;
  maxBackoffMs?: number;
  /** Called each time the list/watch loop restarts after an error (metrics hook). */
  onRestart?: () => void;
  /** Index key of an object (e.g. its owner), for O(1) lookups with byIndex(). */
  index?: (o: Obj) => string | undefined;
  /**
   * What is kept of each object (as client-go's SetTransform): applied to every object listed or
   * watched before it is cached or handed to a handler. Drops what no reader needs (managedFields).
   */
  transform?: (o: Obj) => Obj;
}

export class Informer {
  readonly opts: InformerOptions;
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly cache = new Map<string, Obj>();
  private readonly indexed = new Map<string, Map<string, Obj>>();
  private readonly handlers: Array<(event: InformerEvent, obj: Obj, old?: Obj) => void> = [];
  private stopped = false;
  private synced = false;
  private markSynced!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => (this.markSynced = resolve));
  /** Fired by stop(): aborts the list or watch request under way. */
  private readonly halt = new AbortController();
  private readonly sleeper = new Sleeper();
  /** Last time anything arrived (for health). */
  lastActivity = Date.now();

  constructor(client: KubeClient, log: Logger, opts: InformerOptions) {
    this.client = client;
    this.opts = opts;
    this.log = log.child({ informer: opts.kind });
  }

  on(handler: (event: InformerEvent, obj: Obj, old?: Obj) => void): void {
    this.handlers.push(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has filled the cache (never, if stopped before). */
  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  get(namespace: string | undefined, name: string): Obj | undefined {
    return this.cache.get(key(namespace, name));
  }

  /** Objects whose index key is `value`. */
  byIndex(value: string): Obj[] {
    return [...(this.indexed.get(value)?.values() ?? [])];
  }

  list(filter?: (o: Obj) => boolean): Obj[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  /** Runs until stop(); resolves then. */
  async run(): Promise<void> {
    let backoff = 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    while (!this.stopped) {
      try {
        const rv = await this.relist();
        backoff = 500;
        await this.watchFrom(rv);
      } catch (err) {
        if (this.stopped) break;
        this.opts.onRestart?.();
        this.log.warn({ err: message(err), backoffMs: backoff }, 'list/watch failed; retrying');
        await this.sleeper.sleep(backoff * (0.5 + Math.random() / 2));
        backoff = Math.min(backoff * 2, max);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.halt.abort();
    this.sleeper.interrupt();
  }

  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.client.list(this.opts.apiVersion, this.opts.kind, { namespace: this.opts.namespace, labelSelector: this.opts.labelSelector, signal: this.halt.signal });
    const seen = new Set<string>();
    for (const item of items) {
      const o = this.keep(item);
      const k = key(o.metadata.namespace, o.metadata.name);
      seen.add(k);
      this.upsert(k, o);
    }
    for (const [k, o] of [...this.cache]) {
      if (!seen.has(k)) {
        this.remove(k);
        this.emit('delete', o);
      }
    }
    this.synced = true;
    this.markSynced();
    this.lastActivity = Date.now();
    return resourceVersion;
  }

  /** Watches from `rv` until a watch fails; re-watches after normal closes. Throws to relist. */
  private async watchFrom(rv: string): Promise<void> {
    const path = await this.client.collectionPath(this.opts.apiVersion, this.opts.kind, this.opts.namespace);
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    const watchdogMs = this.opts.watchdogMs ?? (timeout + 30) * 1000;
    let resourceVersion = rv;
    while (!this.stopped) {
      // this watch ends on stop(), on an ERROR event and when the watchdog finds it silent
      const watch = new AbortController();
      let ended: { err?: unknown; gone?: boolean } = {};
      const fail = (r: { err?: unknown; gone?: boolean }) => {
        ended = r;
        watch.abort();
      };
      const watchdog = setInterval(() => {
        if (Date.now() - this.lastActivity > watchdogMs) {
          this.log.warn({ silentMs: Date.now() - this.lastActivity }, 'watch silent for too long; restarting');
          fail({ err: new Error('watchdog: watch stalled') });
        }
      }, Math.min(watchdogMs, 5000));
      try {
        await this.client.watch(
          path,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: timeout, labelSelector: this.opts.labelSelector },
          (e) => {
            this.lastActivity = Date.now();
            if (e.type === 'ERROR') {
              const code = e.object?.code;
              fail(code === 410 ? { gone: true } : { err: new KubeError(e.object?.message ?? 'watch error', code ?? 0) });
              return;
            }
            const newRv = e.object?.metadata?.resourceVersion;
            if (newRv) resourceVersion = newRv;
            if (e.type === 'BOOKMARK') return;
            const o = this.keep({ apiVersion: this.opts.apiVersion, kind: this.opts.kind, ...(e.object as Obj) });
            const k = key(o.metadata.namespace, o.metadata.name);
            if (e.type === 'DELETED') {
              const old = this.remove(k);
              this.emit('delete', old ?? o);
            } else {
              this.upsert(k, o);
            }
          },
          { signal: AbortSignal.any([this.halt.signal, watch.signal]) },
        );
      } catch (err) {
        ended = { err, gone: err instanceof KubeError && err.code === 410 };
      } finally {
        clearInterval(watchdog);
      }
      if (this.stopped) return;
      if (ended.gone) {
        this.log.info('watch expired (410 Gone); relisting');
        throw new Error('410 Gone');
      }
      if (ended.err) throw ended.err;
    }
  }

  private keep(o: Obj): Obj {
    return this.opts.transform ? this.opts.transform(o) : o;
  }

  private upsert(k: string, o: Obj): void {
    const old = this.remove(k);
    this.cache.set(k, o);
    const ix = this.opts.index?.(o);
    if (ix !== undefined) {
      let bucket = this.indexed.get(ix);
      if (!bucket) this.indexed.set(ix, (bucket = new Map()));
      bucket.set(k, o);
    }
    if (!old) this.emit('add', o);
    else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit('update', o, old);
  }

  /** Drops `k` from the cache and its index; returns what was there. */
  private remove(k: string): Obj | undefined {
    const old = this.cache.get(k);
    if (!old) return undefined;
    this.cache.delete(k);
    const ix = this.opts.index?.(old);
    if (ix !== undefined) {
      const bucket = this.indexed.get(ix);
      bucket?.delete(k);
      if (bucket?.size === 0) this.indexed.delete(ix);
    }
    return old;
  }

  private emit(event: InformerEvent, obj: Obj, old?: Obj): void {
    for (const h of this.handlers) {
      try {
        h(event, obj, old);
      } catch (err) {
        this.log.error({ err: message(err) }, 'informer handler failed');
      }
    }
  }
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
