/** /healthz, /readyz and /metrics over plain HTTP (metrics and probes may share a port). */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  healthy(): boolean;
  ready(): boolean;
}

export function serve(port: number, probes: Probes, registry: Registry | undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') return answer(res, probes.healthy());
    if (path === '/readyz') return answer(res, probes.ready());
    if (path === '/metrics' && registry) {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((err) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    res.writeHead(404);
    res.end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}

/**
 * Stops listening and ends every connection within `graceMs`: idle keep-alive ones at once, one
 * still answering (a scrape under way, a request whose headers never finish) when the time is up.
 * `server.close()` alone leaves the latter open until Node's own request timeouts (minutes).
 * Resolves once all are closed, at the latest `graceMs` later.
 */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function answer(res: import('node:http').ServerResponse, ok: boolean): void {
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
  res.end(ok ? 'ok\n' : 'not ready\n');
}
