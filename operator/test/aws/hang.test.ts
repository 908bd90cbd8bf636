/**
 * AWS calls never hold the operator hostage. The real SDK against loopback endpoints started and
 * stopped here (127.0.0.1, a free port): one that accepts and never answers, one that resets,
 * a proxy's HTML 502/503, a 200 whose body is not the AWS response, an answer that stalls. Every
 * observe returns, with a transient state that names what happened; and a provider with every
 * slot held by hanging calls refuses another platform at once instead of queueing it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import type { SdkOptions } from '../../src/aws/provider.ts';
import { ProviderBusyError } from '../../src/data/types.ts';
import { platform, set, withDatabase, withProvisioner, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { PASSWORD, provider, REGION } from './moto.ts';

interface Endpoint {
  endpoint: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open. */
  open: number;
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown; close(cb: () => void): unknown }, sockets: Set<Socket>): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stops.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A TCP endpoint that accepts every connection, reads the request and never answers. */
async function silentEndpoint(): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const e = { endpoint: '', accepted: 0, open: 0 };
  const server = createTcpServer((socket) => {
    e.accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  e.endpoint = await listen(server, sockets);
  return Object.defineProperty(e, 'open', { get: () => sockets.size });
}

/** An HTTP endpoint answering every request with `answer`. */
async function httpEndpoint(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return listen(server, sockets);
}

const sdk = (endpoint: string, extra: Partial<SdkOptions>) => provider(endpoint, { clusterName: 'hang', ...extra });
const aws = set('aws', { region: REGION, vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d', 'subnet-1a1b2c3d'], securityGroupIds: ['sg-0a1b2c3d'] });
/** RDS (query protocol), S3 (REST-XML) and EFS (REST-JSON): one client of each kind. */
const everything = (name: string): BookingPlatform => platform(name, withProvisioner('sdk'), set('environment', 'dev'), aws, withDatabase(), withUploads(), withWhatsapp());
const databaseOnly = (name: string): BookingPlatform => platform(name, withProvisioner('sdk'), set('environment', 'dev'), aws, withDatabase());

describe('an endpoint that accepts and never answers', () => {
  it('observe returns: every service not ready (transient), naming the timeout', { timeout: 20_000 }, async () => {
    const silent = await silentEndpoint();
    const o = await sdk(silent.endpoint, { maxAttempts: 2, connectTimeoutMs: 1_000, requestTimeoutMs: 300, callTimeoutMs: 10_000 }).observe(everything('silent'), PASSWORD);
    for (const s of [o.database, o.uploads, o.fileSystem]) {
      expect(s).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: expect.stringMatching(/: TimeoutError: "no answer from the AWS endpoint within 0\.3s" \(retrying\)$/) });
      expect(s!.terminal).toBeUndefined();
    }
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('the call deadline bounds the SDK’s retries and ends the request in flight', { timeout: 20_000 }, async () => {
    const silent = await silentEndpoint();
    const o = await sdk(silent.endpoint, { maxAttempts: 10, requestTimeoutMs: 10_000, callTimeoutMs: 500 }).observe(databaseOnly('deadline'), PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: expect.stringContaining(`: DeadlineExceeded: "no answer from the AWS endpoint within 0.5s (the call's deadline, retries included)" (retrying)`) });
    // one attempt, not ten; and its socket is closed, not left waiting for an answer
    expect(silent.accepted).toBe(1);
    await vi.waitFor(() => expect(silent.open).toBe(0), { timeout: 5_000 });
  });
});

describe('a provider with every slot held by hanging calls', () => {
  it('refuses another platform at once with ProviderBusyError, admits it again once a slot is free', { timeout: 20_000 }, async () => {
    const silent = await silentEndpoint();
    const dp = sdk(silent.endpoint, { maxAttempts: 1, requestTimeoutMs: 500, callTimeoutMs: 10_000, maxConcurrent: 2 });
    const held = [dp.observe(databaseOnly('one'), PASSWORD), dp.observe(databaseOnly('two'), PASSWORD)];

    const refused = await dp.observe(databaseOnly('three'), PASSWORD).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ProviderBusyError);
    expect((refused as ProviderBusyError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as Error).message).toContain('at most 2 at once');
    await expect(dp.remove(databaseOnly('three'), 'database', {})).rejects.toBeInstanceOf(ProviderBusyError);
    // a platform already in is not refused (its services are removed in parallel)
    const same = dp.remove(databaseOnly('one'), 'database', {});

    for (const o of await Promise.all(held)) expect(o.database).toMatchObject({ ready: false, reason: 'AwsUnavailable' });
    expect(await same).toMatchObject({ done: false });
    // the slots were given back
    expect((await dp.observe(databaseOnly('three'), PASSWORD)).database).toMatchObject({ ready: false, reason: 'AwsUnavailable' });
  });
});

const html = (status: string) => `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center><hr><center>nginx</center></body></html>`;

describe('trouble that is not an AWS error answer is named as what it is', () => {
  it.each([
    ['HTTP 503 Service Unavailable', 503],
    ['HTTP 502 Bad Gateway', 502],
  ])('a proxy’s HTML %s: transient, and not "the endpoint may not implement this call"', { timeout: 20_000 }, async (answered, status) => {
    const endpoint = await httpEndpoint((_req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(html(answered.slice(5))));
    const o = await sdk(endpoint, { maxAttempts: 2 }).observe(everything('proxy'), PASSWORD);
    for (const s of [o.database, o.uploads, o.fileSystem]) {
      expect(s).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: expect.stringContaining(`: HTTP ${status}: "AWS endpoint answered ${answered} (not an AWS error response)" (retrying)`) });
      expect(s!.message).not.toContain('implement');
      expect(s!.terminal).toBeUndefined();
    }
  });

  it('a connection reset', { timeout: 20_000 }, async () => {
    const endpoint = await httpEndpoint((req) => req.socket.destroy());
    const o = await sdk(endpoint, { maxAttempts: 2 }).observe(everything('reset'), PASSWORD);
    for (const s of [o.database, o.uploads, o.fileSystem]) {
      expect(s).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: expect.stringContaining(': ECONNRESET: "connection reset by the AWS endpoint (socket hang up)" (retrying)') });
    }
  });

  it.each([
    ['garbage', 'text/xml', 'this is <not xml'],
    ['an HTML page', 'text/html', html('Welcome')],
    ['an empty body', 'text/xml', ''],
  ])('a 200 with %s is an unparseable response, never success', { timeout: 20_000 }, async (_what, type, body) => {
    const endpoint = await httpEndpoint((_req, res) => res.writeHead(200, { 'content-type': type }).end(body));
    const o = await sdk(endpoint, { maxAttempts: 2 }).observe(databaseOnly('garbage'), PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'AwsBadResponse', message: expect.stringMatching(/^DescribeDBSubnetGroups .*: HTTP 200: "unparseable response: HTTP 200 OK, but .*" \(retrying\)$/) });
    expect(o.database!.terminal).toBeUndefined();
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('an answer that stalls after its headers', { timeout: 20_000 }, async () => {
    const endpoint = await httpEndpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<DescribeDBSubnetGroupsResponse>');
    });
    const o = await sdk(endpoint, { maxAttempts: 1, requestTimeoutMs: 300, callTimeoutMs: 10_000 }).observe(databaseOnly('stall'), PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: expect.stringContaining(': TimeoutError: "the AWS endpoint stopped answering mid-response (no data within 0.3s)" (retrying)') });
  });
});
