/**
 * The one module that talks to the apiserver (lint enforces it). Everything above it sees a small
 * interface — get/list/watch/apply/delete — so the reconciler can be tested against a real
 * apiserver and reasoned about without client-node's API surface.
 *
 * Every request is counted by verb (the no-op reconcile test and the benchmarks read the counts).
 */
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../render/names.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type Obj = KubernetesObject & { metadata: NonNullable<KubernetesObject['metadata']> & { name: string }; [k: string]: any };

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: any };

/** An error from the apiserver with its HTTP status code (0 when none was received). */
export class KubeError extends Error {
  readonly code: number;
  readonly reason?: string;
  constructor(message: string, code: number, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export interface RequestCounts {
  read: number;
  write: number;
  watch: number;
}

export class KubeClient {
  readonly kc: KubeConfig;
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly watcher: Watch;
  readonly counts: RequestCounts = { read: 0, write: 0, watch: 0 };
  /** Called after every request (metrics hook): verb and HTTP code. */
  onRequest: (verb: string, code: number) => void = () => {};

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kc);
  }

  static fromDefault(kubeconfig?: string): KubeClient {
    const kc = new KubeConfig();
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    return new KubeClient(kc);
  }

  async get(ref: ObjectRef): Promise<Obj | undefined> {
    try {
      return (await this.call('get', () => this.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }))) as Obj;
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): Promise<{ items: Obj[]; resourceVersion: string }> {
    const res = await this.call('list', () => this.objects.list(apiVersion, kind, opts.namespace, undefined, undefined, undefined, undefined, opts.labelSelector));
    return { items: (res.items ?? []).map((o) => ({ apiVersion, kind, ...o }) as Obj), resourceVersion: res.metadata?.resourceVersion ?? '' };
  }

  /** Server-side apply with the operator's field manager, taking ownership from others (force). */
  async apply<T extends Obj>(obj: T): Promise<T> {
    return (await this.call('apply', () => this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply))) as T;
  }

  /** Server-side apply of the status subresource of a custom resource. */
  async applyStatus(group: string, version: string, plural: string, obj: { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; status: unknown }): Promise<void> {
    await this.call('apply-status', () =>
      this.custom.patchNamespacedCustomObjectStatus(
        { group, version, namespace: obj.metadata.namespace, plural, name: obj.metadata.name, body: obj, fieldManager: FIELD_MANAGER, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ),
    );
  }

  async create<T extends Obj>(obj: T): Promise<T> {
    return (await this.call('create', () => this.objects.create(obj, undefined, undefined, FIELD_MANAGER))) as T;
  }

  /** Replace with optimistic concurrency (metadata.resourceVersion must be current). */
  async replace<T extends Obj>(obj: T): Promise<T> {
    return (await this.call('replace', () => this.objects.replace(obj, undefined, undefined, FIELD_MANAGER))) as T;
  }

  /** Delete; absent is fine. Background propagation so owned children go with it. */
  async delete(ref: ObjectRef, opts: { uid?: string } = {}): Promise<void> {
    try {
      await this.call('delete', () =>
        this.objects.delete(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
          opts.uid ? { preconditions: { uid: opts.uid } } : undefined,
        ),
      );
    } catch (err) {
      if (err instanceof KubeError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  /**
   * Watch a collection from `resourceVersion`. Resolves with an AbortController; `done` is called
   * once when the stream ends (err undefined for a normal server-side close).
   */
  async watch(path: string, params: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void, done: (err?: unknown) => void): Promise<AbortController> {
    this.counts.watch++;
    return this.watcher.watch(path, params, (type, object) => onEvent({ type: type as WatchEvent['type'], object }), (err) => done(err ?? undefined));
  }

  /** The REST path of a collection, for watches. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const resource = await this.resourceFor(apiVersion, kind);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespace && resource.namespaced ? `${prefix}/namespaces/${namespace}/${resource.name}` : `${prefix}/${resource.name}`;
  }

  /** Discovery of a kind's plural and scope (cached by client-node); 404 when not served. */
  async resourceFor(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean }> {
    // client-node keeps its discovery cache behind a protected method; reuse it rather than duplicate it
    const discover = (this.objects as unknown as { resource(a: string, k: string): Promise<{ name: string; namespaced: boolean } | undefined> }).resource.bind(this.objects);
    let found: { name: string; namespaced: boolean } | undefined;
    try {
      found = await this.call('discovery', () => discover(apiVersion, kind));
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    }
    if (!found) throw new KubeError(`the apiserver does not serve ${kind} in ${apiVersion}`, 404, 'NotFound');
    return found;
  }

  /** Whether the apiserver serves this kind (e.g. whether ACK's CRDs are installed). */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      await this.resourceFor(apiVersion, kind);
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return false;
      throw err;
    }
  }

  private async call<T>(verb: string, fn: () => Promise<T>): Promise<T> {
    if (verb === 'get' || verb === 'list' || verb === 'discovery') this.counts.read++;
    else this.counts.write++;
    try {
      const res = await fn();
      this.onRequest(verb, 200);
      return res;
    } catch (err) {
      const e = toKubeError(err);
      this.onRequest(verb, e.code);
      throw e;
    }
  }
}

function toKubeError(err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number' && e.code >= 100) {
    let body: any = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* plain text body */
      }
    }
    return new KubeError(body?.message ?? e.message ?? `HTTP ${e.code}`, e.code, body?.reason);
  }
  return new KubeError((err as Error)?.message ?? String(err), 0);
}
