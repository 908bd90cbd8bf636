/**
 * `kubectl get … -o json` (and `-o name`) answered in this process, for kubectl.ts: tests poll
 * with it several times a second, and every kubectl process costs about 50 ms of CPU (a 60 MB Go
 * binary starting and reading its discovery cache) where the request itself costs the apiserver a
 * millisecond — across the integration files, most of their CPU. The apiserver's answer is printed
 * as kubectl prints it: the object as served without `metadata.managedFields` (unless
 * `--show-managed-fields`), several objects as one `List` whose items carry apiVersion and kind,
 * `Error from server (Reason): message` and exit code 1 on an error. Resource names are resolved
 * as kubectl does, from the apiserver's discovery (plural, singular, short name or kind; a
 * `.group` suffix; the core group first when a name is in several groups).
 *
 * Anything else returns undefined and goes to the real kubectl: another verb or output format,
 * flags not listed here, a kubeconfig without a bearer token, a name discovery does not resolve
 * unambiguously. `RIG_REAL_KUBECTL=1` sends every call to kubectl (to compare).
 *
 * The request is synchronous, as spawnSync was: a worker thread makes it while this thread waits
 * on a shared buffer. Its User-Agent starts with `kubectl/`, as the requests it replaces did
 * (helm.test.ts leaves the test's own kubectl probes out of what an identity used).
 */
import { readFileSync, statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { parse } from 'yaml';

export interface ReadResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

interface Connection {
  server: string;
  token: string;
  ca?: string;
  insecure: boolean;
  namespace: string;
}

interface Resource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  names: Set<string>;
}

const TIMEOUT_MS = 120_000;
const USER_AGENT = 'kubectl/v1.33 (in-process read: operator/test/rig/kube-read.ts)';

/** The answer to `kubectl --kubeconfig <kubeconfig> <args>`, or undefined for the real kubectl to give. */
export function readInProcess(kubeconfig: string, args: string[]): ReadResult | undefined {
  if (process.env.RIG_REAL_KUBECTL || args[0] !== 'get') return undefined;
  const request = parseGet(args.slice(1));
  const conn = request && connection(kubeconfig);
  if (!request || !conn) return undefined;
  const resources: Resource[] = [];
  for (const name of request.resources) {
    const r = resolve(conn, name);
    if (!r) return undefined;
    resources.push(r);
  }
  // `get kind name…` names objects of one kind; several kinds with names is kubectl's to refuse
  if (request.names.length && (resources.length !== 1 || request.labelSelector || request.fieldSelector)) return undefined;

  const items: any[] = [];
  const errors: string[] = [];
  for (const r of resources) {
    const base = `${conn.server}${r.group ? `/apis/${r.group}` : '/api'}/${r.version}${r.namespaced ? `/namespaces/${encodeURIComponent(request.namespace ?? conn.namespace)}` : ''}/${r.resource}`;
    if (request.names.length) {
      for (const name of request.names) {
        const a = send(conn, `${base}/${encodeURIComponent(name)}`);
        if (a.status === 200) items.push(withKind(JSON.parse(a.body!), r));
        else errors.push(errorLine(a));
      }
    } else {
      const query = new URLSearchParams();
      if (request.labelSelector) query.set('labelSelector', request.labelSelector);
      if (request.fieldSelector) query.set('fieldSelector', request.fieldSelector);
      const a = send(conn, `${base}${query.size ? `?${query}` : ''}`);
      if (a.status === 200) items.push(...(JSON.parse(a.body!).items as any[]).map((o) => withKind(o, r)));
      else errors.push(errorLine(a));
    }
  }
  if (!request.showManagedFields) for (const o of items) delete o.metadata?.managedFields;
  return { code: errors.length ? 1 : 0, stdout: print(items, request), stderr: errors.map((e) => `${e}\n`).join('') };
}

/** As kubectl prints them: one named object alone, anything else as a List. */
function print(items: any[], request: GetRequest): string {
  if (request.output === 'name') return items.map((o) => `${nameOf(o)}\n`).join('');
  if (request.names.length === 1) return items.length ? `${JSON.stringify(items[0], null, 4)}\n` : '';
  return `${JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`;
}

interface GetRequest {
  resources: string[];
  names: string[];
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  output: 'json' | 'name';
  showManagedFields: boolean;
}

/** The arguments after `get`, when they are only what this file answers. */
function parseGet(args: string[]): GetRequest | undefined {
  const positional: string[] = [];
  const req: Partial<GetRequest> & { showManagedFields: boolean } = { showManagedFields: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => args[++i];
    if (a === '-n' || a === '--namespace') req.namespace = value();
    else if (a === '-l' || a === '--selector') req.labelSelector = value();
    else if (a === '--field-selector') req.fieldSelector = value();
    else if (a === '-o' || a === '--output') {
      const o = value();
      if (o !== 'json' && o !== 'name') return undefined;
      req.output = o;
    } else if (a === '--show-managed-fields') req.showManagedFields = true;
    else if (a.startsWith('-')) return undefined;
    else positional.push(a);
  }
  if (!req.output || positional.length === 0 || [req.namespace, req.labelSelector, req.fieldSelector].some((v) => v === '')) return undefined;
  if (args.includes('-n') && req.namespace === undefined) return undefined;
  const [kinds, ...names] = positional;
  // `kind/name` forms and empty names are kubectl's
  if (kinds!.includes('/') || names.some((n) => !n || n.includes('/'))) return undefined;
  return { ...req, resources: kinds!.split(','), names, output: req.output } as GetRequest;
}

const withKind = (o: any, r: Resource) => ({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...o });
const nameOf = (o: any) => {
  const group = String(o.apiVersion).includes('/') ? `.${String(o.apiVersion).split('/')[0]}` : '';
  return `${String(o.kind).toLowerCase()}${group}/${o.metadata.name}`;
};

function errorLine(a: Answer): string {
  if (a.error !== undefined) return `error: ${a.error}`;
  try {
    const status = JSON.parse(a.body!);
    if (status.kind === 'Status') return `Error from server (${status.reason ?? 'Unknown'}): ${status.message}`;
  } catch {
    // not a Status
  }
  return `Error from server: HTTP ${a.status}: ${a.body}`;
}

const connections = new Map<string, { mtimeMs: number; conn: Connection | undefined }>();

/** The current context's server, bearer token and CA; undefined when it is anything else (client certificates, exec plugins). */
function connection(kubeconfig: string): Connection | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(kubeconfig).mtimeMs;
  } catch {
    return undefined;
  }
  const cached = connections.get(kubeconfig);
  if (cached?.mtimeMs === mtimeMs) return cached.conn;
  let conn: Connection | undefined;
  try {
    const doc = parse(readFileSync(kubeconfig, 'utf8'));
    const context = doc.contexts?.find((c: any) => c.name === doc['current-context'])?.context;
    const cluster = doc.clusters?.find((c: any) => c.name === context?.cluster)?.cluster;
    const user = doc.users?.find((u: any) => u.name === context?.user)?.user ?? {};
    const onlyToken = Object.keys(user).length === 1 && typeof user.token === 'string';
    if (cluster?.server && onlyToken && !cluster['proxy-url'] && !cluster['tls-server-name']) {
      const ca = cluster['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString() : cluster['certificate-authority'] ? readFileSync(cluster['certificate-authority'], 'utf8') : undefined;
      conn = { server: String(cluster.server).replace(/\/$/, ''), token: user.token, ca, insecure: cluster['insecure-skip-tls-verify'] === true, namespace: context.namespace ?? 'default' };
    }
  } catch {
    conn = undefined;
  }
  connections.set(kubeconfig, { mtimeMs, conn });
  return conn;
}

/** Discovery per server and identity, read again once when a name is not in it (a CRD installed since). */
const discovered = new Map<string, Resource[]>();

function resolve(conn: Connection, name: string): Resource | undefined {
  const key = `${conn.server} ${conn.token}`;
  let resources = discovered.get(key);
  let found = resources && match(resources, name);
  if (found === undefined) {
    resources = discover(conn);
    if (!resources) return undefined;
    discovered.set(key, resources);
    found = match(resources, name);
  }
  return found || undefined;
}

/** The resource `name` means (undefined: none; false: ambiguous, kubectl's to decide). */
function match(resources: Resource[], name: string): Resource | false | undefined {
  const dot = name.indexOf('.');
  const [short, group] = dot < 0 ? [name, undefined] : [name.slice(0, dot), name.slice(dot + 1)];
  const hits = resources.filter((r) => (group === undefined || r.group === group) && r.names.has(short.toLowerCase()));
  if (hits.length <= 1) return hits[0];
  const core = hits.filter((r) => r.group === '');
  return core.length === 1 ? core[0] : false;
}

/** Aggregated discovery (/api and /apis): each group's preferred version, in the apiserver's order. */
function discover(conn: Connection): Resource[] | undefined {
  const out: Resource[] = [];
  for (const path of ['/api', '/apis']) {
    const a = send(conn, `${conn.server}${path}`, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    if (a.status !== 200) return undefined;
    const list = JSON.parse(a.body!);
    if (list.kind !== 'APIGroupDiscoveryList') return undefined;
    for (const g of list.items ?? []) {
      const preferred = g.versions?.[0];
      for (const r of preferred?.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind || !r.verbs?.includes('get') || !r.verbs?.includes('list')) continue;
        const names = new Set<string>([r.resource, r.singularResource, kind.toLowerCase(), ...(r.shortNames ?? [])].filter(Boolean).map((n: string) => n.toLowerCase()));
        out.push({ group: g.metadata?.name ?? '', version: preferred.version, resource: r.resource, kind, namespaced: r.scope === 'Namespaced', names });
      }
    }
  }
  return out;
}

/** The worker thread that makes the requests (one per process, not keeping it alive). */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const https = require('node:https');
const http = require('node:http');
const agents = { 'https:': new https.Agent({ keepAlive: true }), 'http:': new http.Agent({ keepAlive: true }) };
parentPort.on('message', ({ url, headers, ca, insecure, timeoutMs, port, signal }) => {
  let answered = false;
  const answer = (a) => {
    if (answered) return;
    answered = true;
    port.postMessage(a);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const send = (retry) => {
    const req = lib.request(u, { method: 'GET', headers, ca, rejectUnauthorized: !insecure, agent: agents[u.protocol], timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => answer({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => answer({ error: String(e.message || e) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after ' + timeoutMs + ' ms')));
    req.on('error', (e) => {
      // a kept-alive connection the server closed meanwhile (an apiserver restart): once more, on a new one
      if (retry && req.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(e.code)) return send(false);
      answer({ error: String(e.message || e) });
    });
    req.end();
  };
  send(true);
});
`;

let worker: Worker | undefined;

function send(conn: Connection, url: string, accept = 'application/json'): Answer {
  if (!worker) {
    worker = new Worker(WORKER, { eval: true });
    worker.unref();
  }
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const headers = { accept, authorization: `Bearer ${conn.token}`, 'user-agent': USER_AGENT };
  worker.postMessage({ url, headers, ca: conn.ca, insecure: conn.insecure, timeoutMs: TIMEOUT_MS, port: port2, signal }, [port2]);
  Atomics.wait(signal, 0, 0, TIMEOUT_MS + 5_000);
  const message = receiveMessageOnPort(port1)?.message as Answer | undefined;
  port1.close();
  return message ?? { error: `no answer from ${url} within ${TIMEOUT_MS + 5_000} ms` };
}
