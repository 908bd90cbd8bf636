/**
 * The real ACK rds-, elasticache- and iam-controllers (built from their Go modules by
 * scripts/rig/ensure-binaries.sh `ack`) run against the rig's apiserver with moto as AWS (for
 * ElastiCache: moto behind the shim in aws-shim.ts), watching some namespaces. IAM is global: the
 * iam-controller takes the same endpoint and region flags (its SDK signs for us-east-1). Started and stopped
 * by PID like every rig process (and killed with the test process if a test does not stop them).
 *
 * AWS_CA_BUNDLE is removed from its environment: the ACK runtime fails every reconcile with it set
 * (`unable to add custom RootCAs HTTPClient`), and moto is plain http on loopback anyway.
 */
import { type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnOwned, stopOwned } from '../../../scripts/rig/processes.ts';
import type { RigInfo } from './global-setup.ts';

export interface AckController {
  proc: ChildProcess;
  pid: number;
  /** The controller's log file (JSON lines). */
  log: string;
  /** Log lines so far. */
  lines(): string[];
  stop(): Promise<void>;
}

export interface AckControllerOptions {
  /** moto's endpoint (or the shim's in front of it), http://127.0.0.1:PORT. */
  awsEndpoint: string;
  /** The only namespace it watches (other test files' ACK objects are left alone). */
  namespace: string;
  logDir: string;
  region?: string;
  logLevel?: 'debug' | 'info';
  /** Kinds to reconcile (default: the ones the operator renders for the service). */
  resources?: string[];
  /** --reconcile-default-resync-seconds (ACK's default is 10 h). */
  resyncSeconds?: number;
}

/** The kinds the operator renders per ACK service; the first one tells that the controller started. */
const KINDS = { rds: ['DBInstance', 'DBCluster', 'DBSubnetGroup'], elasticache: ['ReplicationGroup', 'CacheSubnetGroup'], iam: ['Role'] };
/**
 * iam-controller v1.5.0 is built on ACK runtime v0.51, which has no `--enable-carm` flag (it exits
 * on an unknown flag); its CARM informer only reads a ConfigMap in `ack-system`, absent on the rig.
 */
const WITHOUT_CARM_FLAG = new Set<keyof typeof KINDS>(['iam']);

export const startAckRdsController = (rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, opts: AckControllerOptions) => startAckController('rds', rig, opts);
export const startAckElastiCacheController = (rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, opts: AckControllerOptions) => startAckController('elasticache', rig, opts);
export const startAckIamController = (rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, opts: AckControllerOptions) => startAckController('iam', rig, opts);

async function startAckController(service: keyof typeof KINDS, rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, opts: AckControllerOptions): Promise<AckController> {
  const name = `ack ${service}-controller`;
  const log = join(opts.logDir, `ack-${service}-controller-${opts.namespace}.log`);
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: rig.kubeconfig, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: opts.region ?? 'us-east-1' };
  delete env.AWS_CA_BUNDLE;
  delete env.AWS_PROFILE;
  delete env.AWS_ENDPOINT_URL;
  const args = [
    '--aws-region', opts.region ?? 'us-east-1',
    '--aws-endpoint-url', opts.awsEndpoint,
    '--aws-identity-endpoint-url', opts.awsEndpoint,
    '--allow-unsafe-aws-endpoint-urls',
    '--enable-leader-election=false',
    ...(WITHOUT_CARM_FLAG.has(service) ? [] : ['--enable-carm=false']),
    '--watch-namespace', opts.namespace,
    '--metrics-addr', '0',
    '--healthz-addr', '0',
    '--log-level', opts.logLevel ?? 'debug',
    '--reconcile-resources', (opts.resources ?? KINDS[service]).join(','),
    ...(opts.resyncSeconds ? ['--reconcile-default-resync-seconds', String(opts.resyncSeconds)] : []),
  ];
  const proc = spawnOwned(join(rig.bin, `ack-${service}-controller`), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  let exited = false;
  proc.once('exit', () => (exited = true));
  const lines = () => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const stop = async () => {
    await stopOwned(proc, 'SIGTERM', 5_000);
  };
  // started: controller-runtime logs "Starting workers" once per kind it reconciles
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}):\n${lines().slice(-20).join('\n')}`);
    if (lines().some((l) => l.includes('Starting workers') && l.includes(KINDS[service][0]!))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start within 60 s:\n${lines().slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, pid: proc.pid!, log, lines, stop };
}
