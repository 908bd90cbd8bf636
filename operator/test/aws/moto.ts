/**
 * A private moto_server per test file (127.0.0.1, a free port, killed by PID), the VPC, subnets
 * and security groups the data services need (real ids in moto), fixtures, and a "flaky proxy"
 * that injects faults between the SDK and moto at the HTTP level (throttling, 500, lost
 * responses), so the SDK's real retry stack is exercised.
 */
import { type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { pino, type Logger } from 'pino';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { createClients, type AwsClients } from '../../src/aws/clients.ts';
import { createSdkProvider, type SdkOptions } from '../../src/aws/provider.ts';
import type { DataObservation, DataServices, FinalizeResult } from '../../src/data/types.ts';
import { finalSnapshotId } from '../../src/render/ack/rds.ts';
import { awsName, type RenderContext } from '../../src/render/names.ts';
import { wantedServices } from '../../src/data/types.ts';
import { platform, set, withProvisioner, type Modifier } from '../fixtures/platform.ts';
import { afterAll, beforeAll } from 'vitest';
import { spawnOwned, stopOwned } from '../../../scripts/rig/processes.ts';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** Like the reconciler's: 24 random bytes, base64url. */
export const PASSWORD = 'Zq3vX9_kLm2pRt7wYb4nHc8sJd6fGa1e';
/** The operator's cluster identity in these tests (BOOKING_CLUSTER_NAME). */
export const CLUSTER = 'moto';
export const CTX: RenderContext = { clusterName: CLUSTER };

/** The AWS identifier the provider gives platform `name` (in namespace `name`) in CLUSTER. */
export function awsId(name: string, suffix: string, max = 63, ctx = CTX): string {
  return awsName(platform(name), ctx, suffix, max);
}

export interface Moto {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  // in a process group of its own, killed with this process if the file does not stop it
  const child: ChildProcess = spawnOwned('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + String(d)).slice(-4000)));
  child.stderr?.on('data', (d) => (output = (output + String(d)).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`moto_server exited early:\n${output}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopOwned(child, 'SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    endpoint,
    pid,
    stop: async () => {
      await stopOwned(child, 'SIGTERM', 5_000);
    },
  };
}

export function motoClients(endpoint: string, maxAttempts = 3): AwsClients {
  return createClients({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts });
}

export interface Network {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  /** A second group, for security-group drift. */
  otherSecurityGroupId: string;
}

/** A VPC with two subnets in two AZs and two security groups. */
export async function network(c: AwsClients, cidr = '10.0.0.0/16'): Promise<Network> {
  const vpc = await c.ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  const base = cidr.split('.').slice(0, 2).join('.');
  const subnetIds: string[] = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
    const s = await c.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${base}.${i + 1}.0/24`, AvailabilityZone: az }));
    subnetIds.push(s.Subnet!.SubnetId!);
  }
  const sg = await c.ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `pods-${cidr}`, Description: 'pods' }));
  const other = await c.ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `other-${cidr}`, Description: 'other' }));
  return { vpcId, subnetIds, securityGroupIds: [sg.GroupId!], otherSecurityGroupId: other.GroupId! };
}

/**
 * moto with a network for the enclosing suite: started before its tests, stopped after them;
 * `ready` receives the server, its clients and the network.
 */
export function useMoto(ready: (env: { moto: Moto; aws: AwsClients; net: Network }) => void): void {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    const aws = motoClients(moto.endpoint);
    ready({ moto, aws, net: await network(aws) });
  });
  afterAll(async () => {
    await moto?.stop();
  });
}

/** A `provisioner: sdk` platform in the moto network. */
export function sdkPlatform(name: string, net: Network, ...mods: Modifier[]): BookingPlatform {
  return platform(name, withProvisioner('sdk'), set('aws', { region: REGION, vpcId: net.vpcId, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds }), ...mods);
}

/** Log lines captured (to prove the password never appears). */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, lines };
}

export function provider(endpoint: string, extra: Partial<SdkOptions> = {}): DataServices {
  return createSdkProvider({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 2, log: captureLog().log, clusterName: CLUSTER, ...extra });
}

/** Observes until every wanted service is ready (or a terminal state), at most `max` passes. */
export async function converge(dp: DataServices, p: BookingPlatform, password: string | undefined = PASSWORD, max = 6): Promise<{ o: DataObservation; passes: number }> {
  let o: DataObservation = {};
  for (let pass = 1; pass <= max; pass++) {
    o = await dp.observe(p, password);
    const states = wantedServices(p).map((s) => o[s]);
    if (states.every((s) => s?.ready)) return { o, passes: pass };
    if (states.some((s) => s?.terminal)) throw new Error(`terminal: ${JSON.stringify(o)}`);
  }
  throw new Error(`not ready after ${max} passes: ${JSON.stringify(o)}`);
}

/**
 * One platform-deletion pass as the reconciler runs it: each service's policy, the final snapshot
 * named `finalSnapshotId(p)` (the reconciler makes it unique per deletion). Messages joined as `service: …`.
 */
export async function finalizePass(dp: DataServices, p: BookingPlatform, finalSnapshot = finalSnapshotId(p)): Promise<FinalizeResult> {
  const steps = await Promise.all(wantedServices(p).map(async (s) => ({ s, r: await dp.remove(p, s, { finalSnapshot }) })));
  const pending = steps.filter(({ r }) => !r.done);
  const show = (xs: typeof steps) => xs.map(({ s, r }) => `${s}: ${r.message}`).join('; ');
  return pending.length ? { done: false, message: show(pending) } : { done: true, message: steps.length ? show(steps) : 'no AWS data services' };
}

/** Runs deletion passes until done, at most `max` passes. */
export async function finalizeAll(dp: DataServices, p: BookingPlatform, max = 8): Promise<{ message: string; passes: number }> {
  let last = '';
  for (let pass = 1; pass <= max; pass++) {
    const r = await finalizePass(dp, p);
    if (r.done) return { message: r.message, passes: pass };
    last = r.message;
  }
  throw new Error(`finalize not done after ${max} passes: ${last}`);
}

export type Fault = 'forward' | 'throttle' | 'error500' | 'lose-response';

export interface FlakyProxy {
  endpoint: string;
  /** Actions (query-protocol `Action=`) seen, in order, one per attempt. */
  seen: string[];
  stop(): Promise<void>;
}

const THROTTLE_XML =
  '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>flaky-1</RequestId></ErrorResponse>';
const INTERNAL_XML =
  '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>We encountered an internal error. Please try again.</Message></Error><RequestId>flaky-2</RequestId></ErrorResponse>';

/**
 * An HTTP proxy in front of moto. `plan(action, n)` (n: how often this action was seen before)
 * decides per attempt: forward it, answer Throttling, answer 500, or forward it and then answer
 * 500 (the create happened but its response was lost).
 */
export async function flakyProxy(target: string, plan: (action: string, n: number) => Fault): Promise<FlakyProxy> {
  const seen: string[] = [];
  const counts = new Map<string, number>();
  const t = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1] ?? `${req.method} ${req.url}`;
      const n = counts.get(action) ?? 0;
      counts.set(action, n + 1);
      seen.push(action);
      const fault = plan(action, n);
      if (fault === 'throttle') {
        res.writeHead(400, { 'content-type': 'text/xml' }).end(THROTTLE_XML);
        return;
      }
      if (fault === 'error500') {
        res.writeHead(500, { 'content-type': 'text/xml' }).end(INTERNAL_XML);
        return;
      }
      const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (ur) => {
        const upChunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => upChunks.push(c));
        ur.on('end', () => {
          if (fault === 'lose-response') res.writeHead(500, { 'content-type': 'text/xml' }).end(INTERNAL_XML);
          else res.writeHead(ur.statusCode ?? 502, ur.headers).end(Buffer.concat(upChunks));
        });
      });
      up.on('error', (e) => res.writeHead(502).end(String(e)));
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, seen, stop: () => new Promise<void>((r) => server.close(() => r())) };
}
