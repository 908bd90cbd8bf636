/**
 * Runs the operator as a child process against the rig, as a user would: the bundle the image
 * ships when BOOKING_OPERATOR_BUNDLE names one (global-setup.ts builds it once per run from the
 * current sources), otherwise from source.
 */
import { type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { NODE_ARGS, NODE_ENV } from '../../../scripts/build.ts';
import { spawnOwned, stopOwned } from '../../../scripts/rig/processes.ts';
import { freePort, waitFor } from '../../../scripts/rig/rig.ts';
import { REPO } from './kubectl.ts';

export interface OperatorProcess {
  proc: ChildProcess;
  metricsPort: number;
  identity: string;
  log: string;
  /** Prometheus text from /metrics. */
  metrics(): Promise<string>;
  /** One metric's value (sum over series matching every given label). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The operator, started (killed with this process if the test does not stop it). On
 * the shared rig (global-setup.ts), where test files run in parallel, `env.WATCH_NAMESPACES` must
 * name the file's own namespaces: an operator watching every namespace would reconcile the other
 * files' platforms too.
 */
export async function startOperatorProcess(kubeconfig: string, opts: { identity?: string; env?: Record<string, string>; logDir: string }): Promise<OperatorProcess> {
  if (kubeconfig === process.env.RIG_SHARED_KUBECONFIG && !opts.env?.WATCH_NAMESPACES) {
    throw new Error('startOperatorProcess on the shared rig needs env.WATCH_NAMESPACES (this test file\'s own namespaces): test files run in parallel there');
  }
  const metricsPort = await freePort();
  const identity = opts.identity ?? `op-${metricsPort}`;
  const log = join(opts.logDir, `${identity}.log`);
  // the bundle runs with the image's node flags (BOOKING_OPERATOR_NODE_ARGS overrides them)
  const bundle = process.env.BOOKING_OPERATOR_BUNDLE;
  const nodeArgs = process.env.BOOKING_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? (bundle ? NODE_ARGS : []);
  const proc = spawnOwned(process.execPath, [...nodeArgs, bundle ?? join(REPO, 'bin/booking-operator.js'), 'run'], {
    env: {
      ...(bundle ? NODE_ENV : {}),
      ...process.env,
      KUBECONFIG: kubeconfig,
      POD_NAME: identity,
      POD_NAMESPACE: 'default',
      METRICS_PORT: String(metricsPort),
      HEALTH_PORT: String(metricsPort),
      LOG_LEVEL: 'debug',
      RESYNC_SECONDS: '600',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(log);
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  try {
    await waitFor(`http://127.0.0.1:${metricsPort}/readyz`, 60_000);
  } catch (err) {
    await stopOwned(proc, 'SIGKILL');
    throw new Error(`the operator did not become ready (log: ${log}): ${(err as Error).message}`, { cause: err });
  }
  // a fresh connection each time: a kept-alive one can be closed by the server's keep-alive
  // timeout just as it is reused ("other side closed", seen in a loaded run)
  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { connection: 'close' } })).text();
  return {
    proc,
    metricsPort,
    identity,
    log,
    metrics,
    async metric(name, labels = {}) {
      const text = await metrics();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-z_:]+)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const ls = m[2] ?? '';
        if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
      }
      return sum;
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      // a graceful stop releases the Lease and may take a while under load; only then SIGKILL
      return stopOwned(proc, signal, 60_000);
    },
  };
}

/** The environment of an operator that provisions through the AWS SDK against an emulator (moto). */
export function sdkOperatorEnv(identity: string, clusterName: string, awsEndpoint: string, region = 'us-east-1'): Record<string, string> {
  return { LEASE_NAME: identity, BOOKING_CLUSTER_NAME: clusterName, AWS_REGION: region, AWS_ENDPOINT_URL: awsEndpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
}
