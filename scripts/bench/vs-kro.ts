/**
 * `npm run bench -- --vs kro`: the operator and kro (built from its Go module by
 * `ensure-binaries.sh kro`) on one rig, the same objects per platform (the RGD is generated from
 * render's output, spec.ts), alternating A B B A at each size. Each run starts the tool afresh in
 * an empty namespace and measures from just before `kubectl apply`: every child applied, every
 * instance Ready, the tool's CPU seconds and peak RSS, its writes (the apiserver's audit log, per
 * ServiceAccount), then its writes per minute while idle. The namespace is deleted (and gone)
 * before the next run, while the tool still runs (kro's instances carry its finalizer).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl, kubectlOk } from '../../operator/test/rig/kubectl.ts';
import { startOperatorProcess } from '../../operator/test/rig/operator-process.ts';
import { freePort, startRig, waitFor, type Rig } from '../rig/rig.ts';
import { AuditLog, cpuSeconds, installPlatformCrd, median, rssMiB, until } from './measure.ts';
import { benchPlatform, benchRgd, CHILD_KINDS, CHILD_SELECTOR, childrenPerPlatform, kroInstance, KRO_PLURAL } from './spec.ts';

export type Tool = 'operator' | 'kro';
const SA_NS = 'bench-system';
const LEASE: Record<Tool, string> = { operator: 'bench-operator', kro: 'controller.kro.run' };
const ENSURE = fileURLToPath(new URL('../rig/ensure-binaries.sh', import.meta.url));

export interface RunResult {
  tool: Tool;
  n: number;
  childrenAppliedMs: number;
  readyMs: number;
  cpuSeconds: number;
  /** kube-apiserver's CPU over the same span (it also serves the bench's own polls, alike for both). */
  apiserverCpuSeconds: number;
  peakRssMiB: number;
  /** Every write but the leader-election lease's renewals. */
  writes: number;
  reads: number;
  /** Besides the leader-election lease's renewals (idleLeaseWritesPerMin). */
  idleWritesPerMin: number;
  idleLeaseWritesPerMin: number;
  byVerb: Record<string, number>;
}

interface Running {
  pid: number;
  stop(): Promise<void>;
}

export async function benchVsKro(opts: { sizes: number[]; idleMs: number; concurrency: number; say: (m: string) => void; heapSnapshots?: boolean; order?: Tool[] }) {
  const { say } = opts;
  const kroDir = /export RIG_KRO=(.+)/.exec(execFileSync('bash', [ENSURE, 'kro'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))![1]!.trim();
  const rig = await startRig({ nodes: 10, audit: true, log: say });
  try {
    await installPlatformCrd(rig);
    kubectlOk(rig, ['apply', '--server-side', '-f', join(kroDir, 'crds')]);
    kubectlOk(rig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/resourcegraphdefinitions.kro.run']);
    const logDir = mkdtempSync(join(tmpdir(), 'bench-kro-'));
    const kubeconfigs = identities(rig, logDir);
    const perPlatform = childrenPerPlatform();

    // the RGD is turned into a CRD and a controller by kro itself
    const setup = await startKro(kroDir, kubeconfigs.kro, logDir, opts.concurrency);
    await until('kro leading', () => kubectl(rig, ['get', 'lease', '-n', SA_NS, LEASE.kro]).code === 0, 60_000, 200);
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(benchRgd()));
    await until('the RGD Active and its CRD served', () => kubectl(rig, ['get', 'crd', KRO_PLURAL]).code === 0 && kubectl(rig, ['get', 'rgd', 'benchplatform.kro.run', '-o', 'jsonpath={.status.state}']).stdout === 'Active', 120_000, 500);
    kubectlOk(rig, ['wait', '--for=condition=Established', '--timeout=60s', `crd/${KRO_PLURAL}`]);
    await setup.stop();
    say(`kro ${kroDir} ready; RGD with ${perPlatform} resources`);

    const audit = new AuditLog(rig.auditLog!);
    const results: RunResult[] = [];
    let seq = 0;
    for (const n of opts.sizes) {
      for (const tool of opts.order ?? (['operator', 'kro', 'kro', 'operator'] as Tool[])) {
        const ns = `${tool}-${n}-${seq++}`;
        kubectlOk(rig, ['create', 'namespace', ns]);
        // a stopped kro does not release its lease: without this the next one waits out its 15 s
        kubectl(rig, ['delete', 'lease', '-n', SA_NS, LEASE[tool], '--ignore-not-found']);
        const proc = tool === 'operator' ? await startOperator(rig, kubeconfigs.operator, logDir, opts.concurrency, seq, opts.heapSnapshots) : await startKro(kroDir, kubeconfigs.kro, logDir, opts.concurrency);
        await until(`${tool} leading`, () => kubectl(rig, ['get', 'lease', '-n', SA_NS, LEASE[tool], '-o', 'jsonpath={.spec.holderIdentity}']).stdout !== '', 60_000, 200);
        await new Promise((r) => setTimeout(r, 3_000)); // caches filled, workers started
        const r = await runOnce(rig, audit, tool, ns, n, perPlatform, proc.pid, opts.idleMs);
        results.push(r);
        say(`${tool} N=${n}: ${JSON.stringify({ ...r, byVerb: undefined })}`);
        if (opts.heapSnapshots && tool === 'operator') {
          process.kill(proc.pid, 'SIGUSR2');
          await new Promise((res) => setTimeout(res, 8_000));
        }
        kubectlOk(rig, ['delete', 'namespace', ns, '--wait=false']);
        await until(`namespace ${ns} gone`, () => kubectl(rig, ['get', 'namespace', ns]).code !== 0, 15 * 60_000, 1_000);
        await proc.stop();
      }
    }
    return { results, summary: summarize(results), logDir };
  } finally {
    await rig.stop();
  }
}

/** One run: N instances applied at once, measured from just before the apply. */
async function runOnce(rig: Rig, audit: AuditLog, tool: Tool, ns: string, n: number, perPlatform: number, pid: number, idleMs: number): Promise<RunResult> {
  const user = `system:serviceaccount:${SA_NS}:${tool}`;
  const items = Array.from({ length: n }, (_, i) => (tool === 'operator' ? benchPlatform(`p${i}`, ns) : kroInstance(`p${i}`, ns)));
  const resource = tool === 'operator' ? 'bookingplatforms' : KRO_PLURAL;
  audit.count();
  const cpu0 = cpuSeconds(pid);
  const apiserver = rig.pid('kube-apiserver');
  const api0 = apiserver ? cpuSeconds(apiserver) : NaN;
  let peak = rssMiB(pid).rss;
  const sample = setInterval(() => (peak = Math.max(peak, rssMiB(pid).rss)), 200);
  const t0 = Date.now();
  for (let i = 0; i < items.length; i += 200) kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 200) }));
  let childrenAppliedMs = 0;
  await until(`${n} ${tool} instances Ready`, () => {
    if (!childrenAppliedMs && kubectlOk(rig, ['get', CHILD_KINDS, '-n', ns, '-l', CHILD_SELECTOR, '-o', 'name']).split('\n').filter(Boolean).length >= n * perPlatform) childrenAppliedMs = Date.now() - t0;
    return childrenAppliedMs > 0 && readyCount(rig, resource, ns) === n;
  }, 30 * 60_000, 250);
  const ready = Date.now() - t0;
  const cpu = cpuSeconds(pid) - cpu0;
  const apiCpu = apiserver ? cpuSeconds(apiserver) - api0 : NaN;
  const none = { writes: 0, leaseWrites: 0, reads: 0, byVerb: {} };
  const busy = audit.count().get(user) ?? none;
  await new Promise((r) => setTimeout(r, idleMs));
  const idle = audit.count().get(user) ?? none;
  clearInterval(sample);
  return { tool, n, childrenAppliedMs, readyMs: ready, cpuSeconds: Math.round(cpu * 100) / 100, apiserverCpuSeconds: Math.round(apiCpu * 100) / 100, peakRssMiB: Math.round(Math.max(peak, rssMiB(pid).peak)), writes: busy.writes, reads: busy.reads, idleWritesPerMin: Math.round((idle.writes * 60_000) / idleMs), idleLeaseWritesPerMin: Math.round((idle.leaseWrites * 60_000) / idleMs), byVerb: busy.byVerb };
}

function readyCount(rig: Rig, resource: string, ns: string): number {
  const out = kubectlOk(rig, ['get', resource, '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return out.split('\n').filter((l) => l === 'True').length;
}

/** A ServiceAccount per tool (cluster-admin), so the audit log tells their requests apart. */
function identities(rig: Rig, dir: string): Record<Tool, string> {
  kubectlOk(rig, ['create', 'namespace', SA_NS]);
  const out = {} as Record<Tool, string>;
  for (const tool of ['operator', 'kro'] as Tool[]) {
    kubectlOk(rig, ['create', 'serviceaccount', tool, '-n', SA_NS]);
    kubectlOk(rig, ['create', 'clusterrolebinding', `bench-${tool}`, '--clusterrole=cluster-admin', `--serviceaccount=${SA_NS}:${tool}`]);
    const token = kubectlOk(rig, ['create', 'token', tool, '-n', SA_NS, '--duration=48h']).trim();
    const path = join(dir, `${tool}.kubeconfig`);
    writeFileSync(path, readFileSync(rig.kubeconfig, 'utf8').replace(/token: .*/, `token: ${token}`), { mode: 0o600 });
    out[tool] = path;
  }
  return out;
}

async function startOperator(_rig: Rig, kubeconfig: string, logDir: string, concurrency: number, seq: number, heap?: boolean): Promise<Running> {
  const env = { LOG_LEVEL: 'warn', LEASE_NAME: 'bench-operator', POD_NAMESPACE: SA_NS, MAX_CONCURRENT_RECONCILES: String(concurrency), ...(heap ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${logDir}` } : {}) };
  // BENCH_OPERATOR_REPO: another copy of the repository to run instead (a before/after comparison)
  if (process.env.BENCH_OPERATOR_REPO) return startOperatorFrom(process.env.BENCH_OPERATOR_REPO, kubeconfig, logDir, { ...env, POD_NAME: `bench-${seq}` });
  const op = await startOperatorProcess(kubeconfig, { identity: `bench-${seq}`, logDir, env });
  return { pid: op.proc.pid!, stop: async () => void (await op.stop()) };
}

async function startOperatorFrom(repo: string, kubeconfig: string, logDir: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(repo, 'bin/booking-operator.js'), 'run'], { env: { ...process.env, KUBECONFIG: kubeconfig, METRICS_PORT: String(port), HEALTH_PORT: String(port), RESYNC_SECONDS: '600', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return running(proc, join(logDir, `operator-${proc.pid}.log`), `http://127.0.0.1:${port}/readyz`);
}

/** A started process, its output logged, ready once `readyz` answers; stopped by PID. */
async function running(proc: ChildProcess, log: string, readyz: string): Promise<Running> {
  const out = createWriteStream(log);
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  await waitFor(readyz, 60_000);
  return {
    pid: proc.pid!,
    stop: async () => {
      process.off('exit', kill);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** kro as its Helm chart runs it, with leader election and the operator's worker count. */
async function startKro(kroDir: string, kubeconfig: string, logDir: string, concurrency: number): Promise<Running> {
  const [metrics, health] = [await freePort(), await freePort()];
  const proc: ChildProcess = spawn(join(kroDir, 'kro'), [
    `--metrics-bind-address=127.0.0.1:${metrics}`,
    `--health-probe-bind-address=127.0.0.1:${health}`,
    '--leader-elect',
    `--leader-election-namespace=${SA_NS}`,
    `--dynamic-controller-concurrent-reconciles=${concurrency}`,
  ], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  return running(proc, join(logDir, `kro-${proc.pid}.log`), `http://127.0.0.1:${health}/readyz`);
}

export interface Row {
  n: number;
  measure: string;
  operator: number;
  kro: number;
  ratio: number;
}

/** Medians per tool and size, and the operator's value over kro's. */
export function summarize(results: RunResult[]): Row[] {
  const rows: Row[] = [];
  const measures: Array<[string, (r: RunResult) => number]> = [
    ['every child applied (ms)', (r) => r.childrenAppliedMs],
    ['all Ready (ms)', (r) => r.readyMs],
    ['controller CPU (s)', (r) => r.cpuSeconds],
    ['apiserver CPU (s)', (r) => r.apiserverCpuSeconds],
    ['peak RSS (MiB)', (r) => r.peakRssMiB],
    ['writes', (r) => r.writes],
    ['idle writes / min (besides the lease)', (r) => r.idleWritesPerMin],
    ['idle lease renewals / min', (r) => r.idleLeaseWritesPerMin],
  ];
  for (const n of [...new Set(results.map((r) => r.n))]) {
    for (const [measure, f] of measures) {
      const op = median(results.filter((r) => r.n === n && r.tool === 'operator').map(f));
      const kro = median(results.filter((r) => r.n === n && r.tool === 'kro').map(f));
      rows.push({ n, measure, operator: op, kro, ratio: kro ? Math.round((op / kro) * 100) / 100 : NaN });
    }
  }
  return rows;
}

export function markdown(rows: Row[]): string {
  const lines = ['| N | measure | operator | kro | operator ÷ kro |', '| ---: | --- | ---: | ---: | ---: |'];
  const v = (x: number) => Math.round(x * 100) / 100;
  for (const r of rows) lines.push(`| ${r.n} | ${r.measure} | ${v(r.operator)} | ${v(r.kro)} | ${Number.isNaN(r.ratio) ? '—' : `${r.ratio}×`} |`);
  return lines.join('\n');
}
