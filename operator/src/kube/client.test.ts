import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.ts';

// a real HTTP server standing in for the apiserver: discovery for v1 ConfigMaps, one request that
// never gets an answer, and a record of every request that arrived
let server: Server;
const seen: string[] = [];
let client: KubeClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/api/v1/namespaces/ns/configmaps/stuck') return; // hangs
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') return res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
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

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}
