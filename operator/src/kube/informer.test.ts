import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from './client.ts';
import { Informer } from './informer.ts';

// a real HTTP server standing in for the apiserver (ConfigMaps in namespace ns); `hold` says
// which requests it leaves without an answer, as a slow or stalled apiserver does
let server: Server;
let client: KubeClient;
let hold: { list?: boolean; watch?: boolean } = {};
let answer: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
const requests: Array<{ url: string; closed: boolean }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const seen = { url: req.url ?? '', closed: false };
    requests.push(seen);
    res.on('close', () => (seen.closed = true));
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') return res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
    const watch = /[?&]watch=true/.test(req.url ?? '');
    if (watch ? hold.watch : hold.list) return; // never answered
    if (answer?.(req, res)) return;
    if (!watch) return res.end(JSON.stringify({ items: [{ metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } }], metadata: { resourceVersion: '5' } }));
    // a watch under way: one event, then silence
    res.writeHead(200);
    res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'c', namespace: 'ns', resourceVersion: '6' } } }) + '\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const file = join(mkdtempSync(join(tmpdir(), 'informer-test-')), 'kubeconfig');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
  client = KubeClient.fromDefault(file);
});
afterEach(() => {
  hold = {};
  answer = undefined;
  requests.length = 0;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const informer = () => new Informer(client, pino({ level: 'silent' }), { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', maxBackoffMs: 500 });
const isWatch = (r: { url: string }) => r.url.includes('watch=true');
const isList = (r: { url: string }) => r.url.startsWith('/api/v1/namespaces/ns/configmaps') && !isWatch(r);

/** Whether `p` settles within `ms` (a bound far below what a stuck request takes: 30 s to minutes). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return ended;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not seen within 5 s: ${what}`);
}

describe('Informer.stop', () => {
  it('ends a watch still waiting for its answer: run() returns and the connection is closed', async () => {
    hold.watch = true;
    const inf = informer();
    const run = inf.run();
    await until('the watch request', () => requests.some(isWatch));
    expect(inf.get('ns', 'a')).toBeDefined();
    inf.stop();
    expect(await within(run, 5_000)).toBe(true);
    await until('the watch connection closed', () => requests.filter(isWatch).every((r) => r.closed));
  });

  it('ends a list still waiting for its answer', async () => {
    hold.list = true;
    const inf = informer();
    const run = inf.run();
    await until('the list request', () => requests.some(isList));
    inf.stop();
    expect(await within(run, 5_000)).toBe(true);
    await until('the list connection closed', () => requests.filter(isList).every((r) => r.closed));
    expect(inf.hasSynced()).toBe(false);
  });

  it('ends a watch under way', async () => {
    const inf = informer();
    const run = inf.run();
    await until('the watched event', () => inf.get('ns', 'c') !== undefined);
    inf.stop();
    expect(await within(run, 5_000)).toBe(true);
    await until('the watch connection closed', () => requests.filter(isWatch).every((r) => r.closed));
  });
});

describe('Informer watch', () => {
  it('applies events, re-watches from the last resourceVersion after a normal close, relists on 410', async () => {
    let watches = 0;
    answer = (req, res) => {
      if (!isWatch({ url: req.url ?? '' })) return false;
      watches++;
      res.writeHead(200);
      res.flushHeaders();
      if (watches === 1) {
        // one event split over two chunks, then the server's normal end of the watch
        const line = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'b', namespace: 'ns', resourceVersion: '6' } } }) + '\n';
        res.write(line.slice(0, 20));
        setTimeout(() => res.end(line.slice(20) + JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } }) + '\n'), 20);
      } else if (watches === 2) {
        res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }) + '\n');
      }
      return true;
    };
    const inf = informer();
    const run = inf.run();
    await until('the watched object', () => inf.get('ns', 'b') !== undefined);
    // the relist's answer has only `a`
    await until('the relist after 410', () => requests.filter(isList).length >= 2 && inf.get('ns', 'b') === undefined);
    inf.stop();
    expect(await within(run, 5_000)).toBe(true);
    const watchUrls = requests.filter(isWatch).map((r) => new URL(r.url, 'http://x').searchParams.get('resourceVersion'));
    expect(watchUrls.slice(0, 2)).toEqual(['5', '7']);
  });
});
