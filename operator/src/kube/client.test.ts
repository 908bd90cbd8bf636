import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubeClient } from './client.ts';

// a real HTTP server standing in for the apiserver: discovery for v1 ConfigMaps, one request that
// never gets an answer, and a record of every request that arrived
let server: Server;
const seen: string[] = [];
const auths: Array<string | undefined> = [];
let client: KubeClient;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    auths.push(req.headers.authorization);
    if (req.url === '/api/v1/namespaces/ns/configmaps/stuck') return; // hangs
    if (req.url?.includes('watch=true')) return watchAnswer(req.url, res);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') return res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  const file = join(mkdtempSync(join(tmpdir(), 'client-test-')), 'kubeconfig');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
  client = KubeClient.fromDefault(file);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns', resourceVersion: '1' } };
const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'ns' };

describe('KubeClient', () => {
  it('reads the kubeconfig\'s credentials once per credentialsTtlMs, not on every request, and picks up a new token after it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'client-test-')), 'kubeconfig');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: { token: 'one' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
    const c = KubeClient.fromDefault(file);
    const reads = vi.spyOn(c.kc, 'applyToHTTPSOptions');
    auths.length = 0;
    for (let i = 0; i < 5; i++) await c.get(ref);
    expect(reads).toHaveBeenCalledTimes(1);
    // 5 gets and the discovery of ConfigMaps' path
    expect(auths.length).toBeGreaterThanOrEqual(5);
    expect(new Set(auths)).toEqual(new Set(['Bearer one']));
    // the token rotates (a projected ServiceAccount token renewed by the kubelet)
    (c.kc.getCurrentUser() as { token?: string }).token = 'two';
    await c.get(ref);
    expect(auths.at(-1)).toBe('Bearer one');
    c.credentialsTtlMs = 0;
    await c.get(ref);
    expect(auths.at(-1)).toBe('Bearer two');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('sends no write while mayWrite() is false (the fence of a replica that lost its lease); reads still go', async () => {
    client.mayWrite = () => false;
    try {
      seen.length = 0;
      for (const write of [() => client.apply(cm), () => client.create(cm), () => client.replace(cm), () => client.delete(ref), () => client.applyStatus({ ...cm, status: {} })]) {
        await expect(write()).rejects.toMatchObject({ reason: 'NotLeader' });
      }
      expect(seen.filter((r) => !r.startsWith('GET'))).toEqual([]);
      expect(await client.get(ref)).toMatchObject({ metadata: { name: 'x' } });
    } finally {
      client.mayWrite = () => true;
    }
    await client.apply(cm);
    expect(seen).toContain('PATCH /api/v1/namespaces/ns/configmaps/x?fieldManager=booking-operator&force=true');
  });

  it('aborts a request when its signal fires', async () => {
    const abort = new AbortController();
    const pending = client.get({ ...ref, name: 'stuck' }, { signal: abort.signal });
    await waitFor(() => seen.some((r) => r.endsWith('/configmaps/stuck')));
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 0 });
  });
});

/** Watches, by resourceVersion: `stuck` never answers, `old` is refused, `1` streams two events in three chunks. */
function watchAnswer(url: string, res: import('node:http').ServerResponse): void {
  const rv = new URL(url, 'http://x').searchParams.get('resourceVersion');
  if (rv === 'stuck') return;
  if (rv === 'old') {
    res.writeHead(410, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' }));
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  const lines = [{ type: 'ADDED', object: { metadata: { name: 'é', resourceVersion: '2' } } }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } }].map((e) => JSON.stringify(e) + '\n').join('');
  const bytes = Buffer.from(lines);
  // cut inside the multi-byte character and inside the first line
  const cut = bytes.indexOf(Buffer.from('é')) + 1;
  res.write(bytes.subarray(0, cut));
  setTimeout(() => res.write(bytes.subarray(cut, cut + 40)), 10);
  setTimeout(() => res.end(bytes.subarray(cut + 40)), 20);
}

describe('KubeClient.watch', () => {
  const path = '/api/v1/namespaces/ns/configmaps';

  it('delivers each event, whatever the chunks, and resolves when the server ends the watch', async () => {
    const events: Array<{ type: string; name?: string; rv: string }> = [];
    await client.watch(path, { resourceVersion: '1', timeoutSeconds: 300 }, (e) => events.push({ type: e.type, name: e.object.metadata.name, rv: e.object.metadata.resourceVersion }));
    expect(events).toEqual([
      { type: 'ADDED', name: 'é', rv: '2' },
      { type: 'BOOKMARK', name: undefined, rv: '3' },
    ]);
    expect(seen).toContain(`GET ${path}?watch=true&resourceVersion=1&timeoutSeconds=300`);
  });

  it('rejects an answer other than 200 with its code and message', async () => {
    await expect(client.watch(path, { resourceVersion: 'old' }, () => {})).rejects.toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' });
  });

  it('resolves as soon as its signal fires, before any answer', async () => {
    const abort = new AbortController();
    const watching = client.watch(path, { resourceVersion: 'stuck' }, () => {}, { signal: abort.signal });
    await waitFor(() => seen.some((r) => r.includes('resourceVersion=stuck')));
    abort.abort();
    await expect(watching).resolves.toBeUndefined();
  });

  it('rejects with the error of a handler that throws', async () => {
    await expect(
      client.watch(path, { resourceVersion: '1' }, () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}
