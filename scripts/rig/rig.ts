/**
 * The local rig: a real control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler), kwok fake nodes so pods really become Ready, and moto_server as the AWS
 * endpoint, all on free loopback ports, each in a process group of its own (scripts/rig/processes.ts),
 * torn down by PID — and killed, the rig's folder removed, when the process that started them exits
 * or is interrupted.
 *
 * With KUBECONFIG given (RIG_USE_KUBECONFIG=1 or `useKubeconfig`), that cluster is used instead
 * and only moto is started. Binaries come from scripts/rig/ensure-binaries.sh (cached, versioned,
 * KUBEBUILDER_ASSETS honoured).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExitOrInterrupt, spawnOwned, stopOwned } from './processes.ts';

const ENSURE = fileURLToPath(new URL('./ensure-binaries.sh', import.meta.url));
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export interface RigOptions {
  /** Fake nodes to create (spread over zones a/b/c). */
  nodes?: number;
  /** Start kube-controller-manager and kube-scheduler (needed for Deployments, GC). */
  controllers?: boolean;
  /** Start moto_server. */
  moto?: boolean;
  /** Use this kubeconfig's cluster instead of starting one. */
  kubeconfig?: string;
  /**
   * The apiserver's audit log (`Rig.auditLog`, JSON lines): every request made as a ServiceAccount
   * (group system:serviceaccounts), with verb, resource and answer; the rig's own components run as
   * the admin and are left out. For tests that prove what an identity uses.
   */
  audit?: boolean;
  /** Admission plugins to enable besides the default ones (e.g. OwnerReferencesPermissionEnforcement). */
  admissionPlugins?: string[];
  /**
   * Seconds without a heartbeat before the node controller marks a node unreachable
   * (controller-manager `--node-monitor-grace-period`, default 50): shorter for node-loss tests.
   * kwok renews every node's Lease every 5 s.
   */
  nodeMonitorGracePeriodSeconds?: number;
  /** Seconds a pod stays on an unreachable node before it is evicted (default 15). */
  unreachableTolerationSeconds?: number;
  log?: (line: string) => void;
}

export interface Rig {
  dir: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Bearer token of the admin user, and the apiserver URL. */
  server: string;
  token?: string;
  /** AWS endpoint of moto_server, when started. */
  awsEndpoint?: string;
  /** The apiserver's audit log, with `audit`. */
  auditLog?: string;
  bin: string;
  /** Timings of the start-up, in milliseconds. */
  timings: Record<string, number>;
  /** Restart the apiserver in place (same port, same data) — for watch-recovery tests. */
  restartApiserver(): Promise<void>;
  /** PID of a component the rig started (`kube-apiserver`, `etcd`, …), for the bench's CPU counts. */
  pid(component: string): number | undefined;
  stop(): Promise<void>;
}

/** Every binary, built or installed as needed; returns the folder holding them. */
export function ensureBinaries(log: (s: string) => void = () => {}): string {
  const out = execFileSync('bash', [ENSURE, 'all'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 3_600_000 });
  const m = /export RIG_BIN=(.+)/.exec(out);
  if (!m) throw new Error(`ensure-binaries.sh printed no RIG_BIN:\n${out}`);
  log(`binaries in ${m[1]}`);
  return m[1]!.trim();
}

/**
 * The environment of the rig's Go programs (etcd, the control plane, kwok, kubectl): the garbage
 * collector runs at a quarter of its default pace (GOGC=400; a CPU profile of the apiserver under a
 * test file spent a fifth of its time in GC), held back by a soft memory limit per process. GOGC
 * or GOMEMLIMIT set by the caller win.
 */
export function goEnv(): NodeJS.ProcessEnv {
  return { GOGC: '400', GOMEMLIMIT: '1GiB', ...process.env };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  let t = Date.now();
  const mark = (what: string) => {
    timings[what] = Date.now() - t;
    t = Date.now();
  };
  const bin = ensureBinaries(log);
  mark('binaries');
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'booking-rig-'));
  const procs: Array<{ name: string; proc: ChildProcess }> = [];
  const start = (name: string, cmd: string, args: string[]) => {
    const out = createWriteStream(join(dir, `${name}.log`));
    const proc = spawnOwned(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: goEnv() });
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
    procs.push({ name, proc });
    proc.once('exit', (code, signal) => {
      if (!stopping) log(`${name} exited (${code ?? signal}); see ${join(dir, `${name}.log`)}`);
    });
    return proc;
  };
  let stopping = false;
  const removeDir = () => {
    if (!process.env.RIG_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  // the processes themselves are killed by processes.ts; their folder goes with them
  const forgetDir = onExitOrInterrupt(removeDir);
  const stop = async () => {
    stopping = true;
    for (const { proc } of [...procs].reverse()) await kill(proc);
    procs.length = 0;
    removeDir();
    forgetDir(); // only once it is gone: on a failure here, exit tries again
  };

  try {
    let awsEndpoint: string | undefined;
    if (opts.moto !== false) {
      const port = await freePort();
      start('moto', join(bin, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)]);
      awsEndpoint = `http://127.0.0.1:${port}`;
    }

    if (opts.kubeconfig) {
      if (awsEndpoint) await waitFor(`${awsEndpoint}/moto-api/`, 60_000);
      mark('moto');
      return { dir, kubeconfig: opts.kubeconfig, server: '', awsEndpoint, bin, timings, pid: () => undefined, restartApiserver: async () => {
        throw new Error('restartApiserver: not possible on an external cluster');
      }, stop };
    }

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    start('etcd', join(bin, 'etcd'), [
      '--name=rig',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=rig=http://127.0.0.1:${etcdPeer}`,
      '--log-level=warn',
    ]);
    await waitFor(`http://127.0.0.1:${etcdClient}/health`, 30_000);
    mark('etcd');

    const token = randomBytes(24).toString('hex');
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'tokens.csv'), `${token},rig-admin,rig-admin,"system:masters"\n`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const apiArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      '--disable-admission-plugins=ServiceAccount',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--enable-priority-and-fairness=false',
      // a lost node's pods are evicted 15 s after it is marked unreachable (default 5 min), so a
      // node-loss test takes a minute; only pods on a node that stopped heartbeating are affected
      `--default-unreachable-toleration-seconds=${opts.unreachableTolerationSeconds ?? 15}`,
      '--v=0',
    ];
    const auditLog = opts.audit ? join(dir, 'audit.log') : undefined;
    if (auditLog) {
      writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
      // blocking mode (the log backend's default): an event is written before its request is answered
      apiArgs.push(`--audit-policy-file=${join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--audit-log-mode=blocking', '--audit-log-maxsize=0');
    }
    if (opts.admissionPlugins?.length) apiArgs.push(`--enable-admission-plugins=${opts.admissionPlugins.join(',')}`);
    const server = `https://127.0.0.1:${apiPort}`;
    let apiserver = start('kube-apiserver', join(bin, 'kube-apiserver'), apiArgs);
    await waitFor(`${server}/readyz`, 120_000, token);
    mark('kube-apiserver');

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, join(dir, 'certs', 'apiserver.crt'), token));

    if (opts.controllers !== false) {
      start('kube-controller-manager', join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        '--secure-port=0',
        '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route,-attachdetach,-persistentvolume-expander',
        `--service-account-private-key-file=${join(dir, 'sa.key')}`,
        '--use-service-account-credentials=false',
        '--concurrent-gc-syncs=5',
        // client-go's default 20 QPS would make the rig, not the operator, the bottleneck at scale
        '--kube-api-qps=300',
        '--kube-api-burst=500',
        '--concurrent-deployment-syncs=20',
        '--concurrent-replicaset-syncs=20',
        ...(opts.nodeMonitorGracePeriodSeconds ? [`--node-monitor-grace-period=${opts.nodeMonitorGracePeriodSeconds}s`] : []),
      ]);
      start('kube-scheduler', join(bin, 'kube-scheduler'), [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0', '--kube-api-qps=300', '--kube-api-burst=500']);
      start('kwok', join(bin, 'kwok'), kwokArgs(kubeconfig, 'fake', '10.244.0.0/16'));
      const nodes = opts.nodes ?? 2;
      const manifest = [...Array.from({ length: nodes }, (_, i) => nodeYaml(i)), ...storageYaml(40)].join('---\n');
      execFileSync(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: manifest, stdio: ['pipe', 'ignore', 'inherit'] });
      mark('controllers+kwok');
    }
    if (awsEndpoint) {
      await waitFor(`${awsEndpoint}/moto-api/`, 60_000);
      mark('moto');
    }

    const restartApiserver = async () => {
      const i = procs.findIndex((p) => p.proc === apiserver);
      await kill(apiserver);
      procs.splice(i, 1);
      apiserver = start('kube-apiserver', join(bin, 'kube-apiserver'), apiArgs);
      await waitFor(`${server}/readyz`, 120_000, token);
    };
    const pid = (component: string) => procs.find((p) => p.name === component)?.proc.pid;
    return { dir, kubeconfig, server, token, awsEndpoint, auditLog, bin, timings, restartApiserver, pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Metadata (who, verb, resource, answer; no bodies) of ServiceAccounts' requests, once complete. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
`;

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: rig
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: rig-admin
  user:
    token: ${token}
contexts:
- name: rig
  context: {cluster: rig, user: rig-admin}
current-context: rig
`;
}

/** kwok for the nodes annotated `kwok.x-k8s.io/node=<value>`: it heartbeats them and runs their pods. */
function kwokArgs(kubeconfig: string, annotationValue: string, podCidr: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${annotationValue}`,
    '--node-ip=127.0.0.1',
    `--cidr=${podCidr}`,
    // renewed every quarter of it (5 s): well within any node-monitor grace period
    '--node-lease-duration-seconds=20',
  ];
}

/** A fake node that can be lost: its own kwok process, which the test stops. */
export interface LoneNode {
  name: string;
  /** PID of the node's kwok process. */
  pid: number;
  /**
   * Stops the node's kwok (by PID): the node's Lease is no longer renewed and its pods are no
   * longer run or confirmed deleted, as when a real node is cut off. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Creates node `name` managed by a kwok process of its own (annotation value `name`, which the
 * rig's shared kwok does not select) and waits until it is Ready. kwok keeps heartbeating a node
 * it once managed even when its annotation is removed, so losing one node means stopping the
 * process that manages only it. The process is killed when this process exits or is interrupted.
 */
export async function startLoneNode(rig: { bin: string; kubeconfig: string }, name: string, opts: { logDir: string; zone?: string }): Promise<LoneNode> {
  execFileSync(join(rig.bin, 'kubectl'), ['--kubeconfig', rig.kubeconfig, 'apply', '-f', '-'], { input: nodeManifest(name, name, opts.zone ?? 'us-east-1a'), stdio: ['pipe', 'ignore', 'inherit'] });
  const out = createWriteStream(join(opts.logDir, `kwok-${name}.log`));
  const proc = spawnOwned(join(rig.bin, 'kwok'), kwokArgs(rig.kubeconfig, name, '10.245.0.0/16'), { stdio: ['ignore', 'pipe', 'pipe'], env: goEnv() });
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  const stop = async () => {
    await kill(proc);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = execFileSync(join(rig.bin, 'kubectl'), ['--kubeconfig', rig.kubeconfig, 'get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { encoding: 'utf8' });
    if (ready === 'True') break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(`node ${name} not Ready after 60 s (kwok ${proc.exitCode === null ? 'running' : `exited ${proc.exitCode}`}); see ${join(opts.logDir, `kwok-${name}.log`)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { name, pid: proc.pid!, stop };
}

function nodeYaml(i: number): string {
  return nodeManifest(`kwok-node-${i}`, 'fake', `us-east-1${'abc'[i % 3]}`);
}

function nodeManifest(name: string, kwokAnnotation: string, zone: string): string {
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: {${KWOK_NODE_ANNOTATION}: ${kwokAnnotation}, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: ${name}, kubernetes.io/os: linux, kubernetes.io/arch: amd64, topology.kubernetes.io/zone: ${zone}}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "250"}
  capacity: {cpu: "64", memory: 256Gi, pods: "250"}
`;
}

/**
 * A default StorageClass with pre-made volumes, so claims without a class bind as they would on
 * a laptop cluster (there is no dynamic provisioner here). Released volumes are not reused
 * (Retain): enough for every claim of a whole run on the shared rig.
 */
function storageYaml(volumes: number): string[] {
  const sc = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
`;
  const pvs = Array.from(
    { length: volumes },
    (_, i) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: rig-volume-${i}}
spec:
  storageClassName: standard
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/rig-volume-${i}}
`,
  );
  return [sc, ...pvs];
}

/** Polls a URL until it answers 2xx; bounded by `timeoutMs`. TLS is the apiserver's self-signed cert. */
export async function waitFor(url: string, timeoutMs: number, token?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetchInsecure(url, token);
      if (res >= 200 && res < 300) return;
      last = `HTTP ${res}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}

async function fetchInsecure(url: string, token?: string): Promise<number> {
  if (url.startsWith('http:')) return (await fetch(url)).status;
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(url, { rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function kill(proc: ChildProcess): Promise<void> {
  await stopOwned(proc, 'SIGTERM', 5000);
}
