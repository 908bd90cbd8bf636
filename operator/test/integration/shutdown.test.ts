/**
 * SIGTERM ends the operator process within its grace period and a margin, whatever is open then:
 * watches the apiserver has not answered yet (a slow apiserver, a re-watch under way), a client's
 * idle keep-alive connection to /metrics, a request to /metrics whose headers never end. It runs as
 * dist.test runs the image's build: AWS_REGION set, no AWS credentials; it connects to nothing
 * but loopback (the SDK's default credential chain would try the instance metadata service,
 * 169.254.169.254, if anything asked it for credentials).
 *
 * The apiserver is reached through a loopback proxy in this file that can hold watch requests
 * unanswered. Before the fix, a watch stopped while it waited for its answer went on until the
 * server's watch timeout (300 s) and held the process that long: dist.test once took 354 s.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { spawnOwned, stopOwned } from '../../../scripts/rig/processes.ts';
import { freePort, waitFor } from '../../../scripts/rig/rig.ts';
import { REPO } from '../rig/kubectl.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const dir = mkdtempSync(join(tmpdir(), 'shutdown-test-'));
const GRACE_SECONDS = 5;
/** The operator promises grace + 5 s (main.ts, STOP_MARGIN_MS); the rest is room for a loaded machine. Before the fix: 300 s and more. */
const EXIT_BOUND_MS = (GRACE_SECONDS + 25) * 1000;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A plain-HTTP proxy on loopback to the rig's apiserver. While `holding`, a watch request gets no
 * answer at all; `endWatches()` ends the watches under way as the apiserver does at their timeout
 * (the informers watch again at once).
 */
async function apiserverProxy(kubeconfig: string) {
  const kc = parse(readFileSync(kubeconfig, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  const upstream = new URL(cluster.server);
  const ca = readFileSync(resolve(dirname(kubeconfig), cluster['certificate-authority']));
  const live = new Set<ServerResponse>();
  const state = { holding: false, held: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const watch = /[?&]watch=(true|1)/.test(req.url ?? '');
    if (watch && state.holding) {
      state.held++;
      return;
    }
    const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ca }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      if (watch) live.add(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => {
      live.delete(res);
      up.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const file = join(dir, 'proxy-kubeconfig');
  const token = kc.users[0].user.token as string;
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'proxy', cluster: { server: `http://127.0.0.1:${(server.address() as { port: number }).port}`, 'insecure-skip-tls-verify': true } }], users: [{ name: 'admin', user: { token } }], contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'admin' } }], 'current-context': 'proxy' }));
  return {
    kubeconfig: file,
    state,
    liveWatches: () => live.size,
    endWatches: () => {
      const n = live.size;
      for (const res of live) res.end();
      return n;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Records the address of every outgoing connection of the process it is loaded into (node --import). */
const CONNECT_RECORDER = `
import net from 'node:net';
import { appendFileSync } from 'node:fs';
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const o = Array.isArray(args[0]) ? args[0][0] : args[0];
  const to = typeof o === 'object' && o !== null ? (o.path ?? \`\${o.host ?? 'localhost'}:\${o.port}\`) : \`\${args[1] ?? 'localhost'}:\${args[0]}\`;
  appendFileSync(process.env.CONNECT_LOG, to + '\\n');
  return connect.apply(this, args);
};
`;

describe('SIGTERM', () => {
  it('ends the process within the grace period, with watches unanswered and clients connected to /metrics', async () => {
    const proxy = await apiserverProxy(rig.kubeconfig);
    cleanups.push(proxy.close);
    const recorder = join(dir, 'record-connects.mjs');
    writeFileSync(recorder, CONNECT_RECORDER);
    const connectLog = join(dir, 'connects.log');
    writeFileSync(connectLog, '');

    const port = await freePort();
    const entry = process.env.BOOKING_OPERATOR_BUNDLE ?? join(REPO, 'operator/src/cli/main.ts');
    // dist.test's environment: AWS_REGION without credentials or endpoint
    const env = { PATH: process.env.PATH, KUBECONFIG: proxy.kubeconfig, LEADER_ELECT: 'false', WATCH_NAMESPACES: 'shutdown-test', METRICS_PORT: String(port), HEALTH_PORT: String(port), LOG_LEVEL: 'info', AWS_REGION: 'us-east-1', SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), CONNECT_LOG: connectLog };
    const proc: ChildProcess = spawnOwned(process.execPath, ['--import', recorder, entry, 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => stopOwned(proc, 'SIGKILL'));
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

    await waitFor(`http://127.0.0.1:${port}/readyz`, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; operator output:\n${output}`);
    });
    // every informer's watch under way (their number steady for a second), then ended: each
    // watches again and gets no answer
    let last = -1;
    const watching = await waitUntil(
      'the informers watching',
      () => {
        const [now, before] = [proxy.liveWatches(), last];
        last = now;
        return now > 0 && now === before && now;
      },
      30_000,
      1_000,
    );
    proxy.state.holding = true;
    const ended = proxy.endWatches();
    await waitUntil(`${ended} watches waiting for an answer (${watching} were live)`, () => proxy.state.held >= ended, 30_000);

    // an idle keep-alive connection, as fetch() leaves one, and a request whose headers never end
    const agent = new Agent({ keepAlive: true });
    const metrics = await new Promise<string>((ok, fail) =>
      get(`http://127.0.0.1:${port}/metrics`, { agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => ok(body));
      }).on('error', fail),
    );
    expect(metrics).toContain('workqueue_depth');
    const halfSent: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => halfSent.once('connect', r));
    halfSent.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    halfSent.on('error', () => {});
    cleanups.push(() => {
      agent.destroy();
      halfSent.destroy();
    });

    const signalledAt = Date.now();
    proc.kill('SIGTERM');
    let bound: NodeJS.Timeout | undefined;
    const within = await Promise.race([exited.then((code) => ({ code })), new Promise<undefined>((r) => (bound = setTimeout(() => r(undefined), EXIT_BOUND_MS)))]);
    clearTimeout(bound);
    const tookMs = Date.now() - signalledAt;
    console.log(`[shutdown] ${within ? 'exited' : 'still running'} ${tookMs} ms after SIGTERM (grace ${GRACE_SECONDS} s; ${ended} watches held)`);
    expect(within, `still running ${EXIT_BOUND_MS} ms after SIGTERM; output:\n${output}`).toBeDefined();
    expect(within!.code, output).toBe(0);
    // it ended because nothing was left open, not by main.ts's last-resort exit
    expect(output).not.toMatch(/shutdown did not finish in time|work still open after the shutdown/);

    const connections = readFileSync(connectLog, 'utf8').split('\n').filter(Boolean);
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.filter((to) => !/^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?):\d+$/.test(to))).toEqual([]);
  });
});
