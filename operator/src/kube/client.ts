/**
 * The one module that talks to the apiserver (lint enforces it). Everything above it sees a small
 * interface — get/list/watch/apply/delete — so the reconciler can be tested against a real
 * apiserver and reasoned about without client-node's API surface.
 *
 * Every request reports its verb and HTTP code through `onRequest` (the operator's
 * `rest_client_requests_total`, which tests and benchmarks read).
 *
 * Bodies travel as plain JSON. client-node's typed ObjectSerializer is deliberately not used for
 * objects: it renames and drops fields it does not model (a NetworkPolicy's `from` became `_from`
 * and was lost, opening the policy to all ingress), and it turns timestamps into Dates. client-node
 * still provides configuration and authentication; one keep-alive agent serves every request.
 *
 * Watches are our own requests too, and end the moment their signal fires, from the first byte
 * on. client-node's Watch hands out its abort handle only once the answer's headers have arrived:
 * a watch stopped while it waited for them (an apiserver slow to answer, a re-watch under way)
 * went on until the server closed it — its timeout, 300 s — and held the process that long after
 * SIGTERM.
 */
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Agent, request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { FIELD_MANAGER } from '../render/names.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type Obj = KubernetesObject & { metadata: NonNullable<KubernetesObject['metadata']> & { name: string }; [k: string]: any };

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: any };

/** Per-request control: `signal` aborts the request (e.g. at the leader's renew deadline). */
export interface RequestControl {
  signal?: AbortSignal;
}

/** One field the apiserver refused: an entry of its Status's `details.causes`. */
export interface KubeErrorCause {
  reason?: string;
  field?: string;
  message?: string;
}

/** An error from the apiserver with its HTTP status code (0 when none was received). */
export class KubeError extends Error {
  readonly code: number;
  readonly reason?: string;
  /** Per-field causes of a 422 (or 400), when the apiserver gives them. */
  readonly causes?: KubeErrorCause[];
  constructor(message: string, code: number, reason?: string, causes?: KubeErrorCause[]) {
    super(message);
    this.code = code;
    this.reason = reason;
    if (causes?.length) this.causes = causes;
  }
}

export class KubeClient {
  readonly kc: KubeConfig;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  /** Watches hold their connection for minutes: kept out of the request pool, whose sockets they would take. */
  private readonly watchAgent = new Agent({ keepAlive: false });
  private readonly server: URL;
  /** Called after every request (metrics hook): verb and HTTP code. */
  onRequest: (verb: string, code: number) => void = () => {};
  /**
   * Asked before every write; false refuses it without sending. The leader's fence: a replica
   * that has lost its lease must not write again, even from a reconcile already under way.
   */
  mayWrite: () => boolean = () => true;
  private readonly discovery = new Map<string, Map<string, { name: string; namespaced: boolean }>>();

  /** The kubeconfig's TLS files and credentials as request options, and when they were read. */
  private credentials?: { at: number; options: RequestOptions };
  /**
   * How long they are reused. client-node reads the CA (and key, token) files on every call: that
   * was ~4% of the operator's CPU in the bench. A projected ServiceAccount token is renewed by the
   * kubelet long before it expires (at 80% of an hour), so 10 s late is nothing.
   */
  credentialsTtlMs = 10_000;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  static fromDefault(kubeconfig?: string): KubeClient {
    const kc = new KubeConfig();
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    return new KubeClient(kc);
  }

  async get(ref: ObjectRef, opts: RequestControl = {}): Promise<Obj | undefined> {
    try {
      return await this.send<Obj>('get', 'GET', await this.objectPath(ref), undefined, undefined, opts.signal);
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } & RequestControl = {}): Promise<{ items: Obj[]; resourceVersion: string }> {
    const query = opts.labelSelector ? `?labelSelector=${encodeURIComponent(opts.labelSelector)}` : '';
    const res = await this.send<{ items?: Obj[]; metadata?: { resourceVersion?: string } }>('list', 'GET', (await this.collectionPath(apiVersion, kind, opts.namespace)) + query, undefined, undefined, opts.signal);
    return { items: (res.items ?? []).map((o) => ({ ...o, apiVersion, kind })), resourceVersion: res.metadata?.resourceVersion ?? '' };
  }

  /**
   * Server-side apply with the operator's field manager, taking ownership from others (force).
   * `as` applies under another manager without force (the replicas hand-over to an autoscaler).
   */
  async apply<T extends Obj>(obj: T, opts: { as?: string } = {}): Promise<T> {
    const path = `${await this.objectPath(refOf(obj))}?${opts.as ? `fieldManager=${encodeURIComponent(opts.as)}` : `fieldManager=${FIELD_MANAGER}&force=true`}`;
    return this.send<T>('apply', 'PATCH', path, obj, 'application/apply-patch+yaml');
  }

  /** Server-side apply of the status subresource. */
  async applyStatus(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; status: unknown }): Promise<void> {
    const path = `${await this.objectPath(refOf(obj))}/status?fieldManager=${FIELD_MANAGER}&force=true`;
    await this.send('apply-status', 'PATCH', path, obj, 'application/apply-patch+yaml');
  }

  async create<T extends Obj>(obj: T, opts: RequestControl = {}): Promise<T> {
    const path = `${await this.collectionPath(obj.apiVersion!, obj.kind!, obj.metadata.namespace)}?fieldManager=${FIELD_MANAGER}`;
    return this.send<T>('create', 'POST', path, obj, undefined, opts.signal);
  }

  /** Replace with optimistic concurrency (metadata.resourceVersion must be current). */
  async replace<T extends Obj>(obj: T, opts: RequestControl = {}): Promise<T> {
    return this.send<T>('replace', 'PUT', `${await this.objectPath(refOf(obj))}?fieldManager=${FIELD_MANAGER}`, obj, undefined, opts.signal);
  }

  /**
   * A JSON patch (RFC 6902) or a JSON merge patch. Unlike apply, a patch never creates: an object
   * that is gone answers 404. JSON patches carry their own preconditions (`test` ops on uid,
   * resourceVersion, the list being changed); a failed test answers 422.
   */
  async patch<T extends Obj>(ref: ObjectRef, body: unknown, type: 'json' | 'merge', subresource?: 'status'): Promise<T> {
    const path = `${await this.objectPath(ref)}${subresource ? `/${subresource}` : ''}?fieldManager=${FIELD_MANAGER}`;
    return this.send<T>('patch', 'PATCH', path, body, type === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json');
  }

  /**
   * Delete; absent (or replaced, when `uid` no longer matches) is fine. Background propagation,
   * or Foreground: the object stays (finalizer foregroundDeletion) until its dependents are gone.
   */
  async delete(ref: ObjectRef, opts: { uid?: string; propagation?: 'Background' | 'Foreground' } = {}): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagation ?? 'Background', ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}) };
    try {
      await this.send('delete', 'DELETE', await this.objectPath(ref), body);
    } catch (err) {
      if (err instanceof KubeError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  /**
   * Watches a collection (`params`: resourceVersion, timeoutSeconds, …), calling `onEvent` for each
   * event. Resolves when the server ends the stream (its timeout), and as soon as `signal` fires,
   * whether the answer has begun or not: the connection is closed then. Rejects when the answer is
   * not 200 (a KubeError with its code), the connection fails, or `onEvent` throws.
   */
  async watch(path: string, params: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void, opts: RequestControl = {}): Promise<void> {
    const { signal } = opts;
    const query = new URLSearchParams({ watch: 'true' });
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const options = await this.requestOptions('GET');
    if (signal?.aborted) return;
    const url = new URL(`${path}?${query}`, this.server);
    const secure = url.protocol === 'https:';
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const end = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err && !signal?.aborted) reject(err);
        else resolve();
      };
      const req = (secure ? request : httpRequest)(url, { ...options, ...(secure ? { agent: this.watchAgent } : {}), signal }, (res) => {
        res.setEncoding('utf8');
        let pending = '';
        if (res.statusCode !== 200) {
          res.on('data', (c: string) => (pending += c));
          res.on('end', () => {
            let status: { message?: string; reason?: string } | undefined;
            try {
              status = JSON.parse(pending);
            } catch {
              status = undefined;
            }
            end(new KubeError(status?.message ?? `watch ${path}: HTTP ${res.statusCode}`, res.statusCode ?? 0, status?.reason));
          });
        } else {
          // one JSON event per line; a chunk may end mid-line
          res.on('data', (chunk: string) => {
            pending += chunk;
            for (let nl = pending.indexOf('\n'); nl >= 0 && !settled && !signal?.aborted; nl = pending.indexOf('\n')) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (!line) continue;
              let e: WatchEvent;
              try {
                e = JSON.parse(line);
              } catch {
                continue;
              }
              try {
                onEvent({ type: e.type, object: e.object });
              } catch (err) {
                end(err);
                req.destroy();
              }
            }
          });
          res.on('end', () => end());
        }
        res.on('error', end);
        // closed before its end: cut off (an abort resolves instead)
        res.on('close', () => end(new Error(`watch ${path}: connection closed`)));
      });
      req.on('error', end);
      req.end();
    });
  }

  /** The REST path of a collection. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const resource = await this.resourceFor(apiVersion, kind);
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespace && resource.namespaced ? `${prefix}/namespaces/${namespace}/${resource.name}` : `${prefix}/${resource.name}`;
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    return `${await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  /** A kind's plural and scope from discovery (cached; refreshed when a kind is not found). */
  async resourceFor(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean }> {
    const found = this.discovery.get(apiVersion)?.get(kind);
    if (found) return found;
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: { resources?: Array<{ name: string; kind: string; namespaced: boolean }> };
    try {
      list = await this.send('discovery', 'GET', prefix);
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) throw new KubeError(`the apiserver does not serve ${apiVersion}`, 404, 'NotFound');
      throw err;
    }
    const kinds = new Map<string, { name: string; namespaced: boolean }>();
    for (const r of list.resources ?? []) if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
    this.discovery.set(apiVersion, kinds);
    const again = kinds.get(kind);
    if (!again) throw new KubeError(`the apiserver does not serve ${kind} in ${apiVersion}`, 404, 'NotFound');
    return again;
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

  /** Options of one request: method, JSON accepted, and the kubeconfig's TLS and credentials (reused for `credentialsTtlMs`). */
  private async requestOptions(method: string): Promise<RequestOptions> {
    if (!this.credentials || Date.now() - this.credentials.at >= this.credentialsTtlMs) {
      const options: RequestOptions = { headers: {} };
      await this.kc.applyToHTTPSOptions(options);
      this.credentials = { at: Date.now(), options };
    }
    const { options } = this.credentials;
    return { ...options, method, headers: { ...(options.headers as Record<string, string>), accept: 'application/json' } };
  }

  /** One HTTP request with the kubeconfig's credentials; JSON in, JSON out. */
  private async send<T>(verb: string, method: string, path: string, body?: unknown, contentType = 'application/json', signal?: AbortSignal): Promise<T> {
    if (method !== 'GET' && !this.mayWrite()) throw new KubeError(`${method} ${path}: write refused: this replica is not the leader`, 0, 'NotLeader');
    const opts = await this.requestOptions(method);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(path, this.server);
    const headers = { ...(opts.headers as Record<string, string>), ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}) };
    const secure = url.protocol === 'https:';
    const { code, text } = await new Promise<{ code: number; text: string }>((resolve, reject) => {
      const req = (secure ? request : httpRequest)(url, { ...opts, headers, ...(secure ? { agent: this.agent } : {}), timeout: 30_000, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    }).catch((err: Error) => {
      this.onRequest(verb, 0);
      throw new KubeError(err.message, 0);
    });
    this.onRequest(verb, code);
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (code < 200 || code > 299) throw new KubeError(parsed?.message ?? `${method} ${path}: HTTP ${code}`, code, parsed?.reason, parsed?.details?.causes);
    return parsed as T;
  }
}

function refOf(o: { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string } }): ObjectRef {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, namespace: o.metadata.namespace };
}
