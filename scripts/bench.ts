/**
 * `npm run bench`: how fast and how lean the operator is, on the local rig (see docs/benchmarks.md).
 *
 * 1. One platform: `kubectl apply` → every object applied, → Ready; and, separately, how long
 *    kwok takes to make a Deployment's pods available (the part that is not the operator's).
 * 2. API requests per reconcile and per no-op reconcile (reads and writes, from the operator's
 *    own request counters).
 * 3. N platforms (BENCH_SIZES, default "100,1000") applied at once: time until all are Ready,
 *    reconcile errors, and the operator's peak RSS.
 * The operator runs as its own process, exactly as the image runs it: the bundle `npm run build`
 * makes (scripts/build.ts), built from the current sources into a temporary folder first
 * (`--from-source` runs the TypeScript sources instead).
 *
 * `-- --vs kro`: the operator and kro v0.9.4 side by side on one rig (scripts/bench/vs-kro.ts);
 * sizes `--n 1,100,300` (the default; `--with-1000` adds 1000), `--idle-seconds 30`.
 * `-- --sdk`: the `provisioner: sdk` row against moto, AWS calls per reconcile and per platform
 * (scripts/bench/sdk.ts; `--platforms 5`).
 * Every timer starts just before the `kubectl apply` it measures.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds, kubectl, kubectlOk } from '../operator/test/rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../operator/test/rig/operator-process.ts';
import { startRig } from './rig/rig.ts';

const sizes = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number).filter(Boolean);
const t0 = Date.now();
const say = (m: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}`);

const args = process.argv.slice(2);
if (!args.includes('--from-source') && !process.env.BOOKING_OPERATOR_BUNDLE) {
  const { buildOperator } = await import('./build.ts');
  const dir = mkdtempSync(join(tmpdir(), 'bench-dist-'));
  await buildOperator(dir);
  // operator-process.ts starts this file when it is set
  process.env.BOOKING_OPERATOR_BUNDLE = join(dir, 'cli/main.js');
}
const option = (name: string) => (args.includes(name) ? (args[args.indexOf(name) + 1] ?? '') : undefined);
if (option('--vs') !== undefined) {
  if (option('--vs') !== 'kro') throw new Error(`--vs: only kro is known, not "${option('--vs')}"`);
  const { benchVsKro, markdown } = await import('./bench/vs-kro.ts');
  type Tool = import('./bench/vs-kro.ts').Tool;
  const sizes = [...(option('--n') ?? '1,100,300').split(',').map(Number).filter(Boolean), ...(args.includes('--with-1000') ? [1000] : [])];
  const out = await benchVsKro({ sizes, idleMs: Number(option('--idle-seconds') ?? 30) * 1000, concurrency: 8, say, heapSnapshots: args.includes('--heap-snapshots'), ...(option('--tools') ? { order: option('--tools')!.split(',') as Tool[] } : {}) });
  console.log(JSON.stringify(out.results, null, 2));
  console.log(markdown(out.summary));
  say(`logs (and heap snapshots, with --heap-snapshots) in ${out.logDir}`);
  process.exit(0);
}
if (args.includes('--sdk')) {
  const { benchSdk } = await import('./bench/sdk.ts');
  console.log(JSON.stringify(await benchSdk({ platforms: Number(option('--platforms') ?? 5), say }), null, 2));
  process.exit(0);
}

function platform(name: string, ns: string, image = 'registry.example/backend:1.0.0') {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name, namespace: ns },
    spec: {
      environment: 'bench',
      provisioner: 'external',
      backend: { image, autoscaling: { minReplicas: 1, maxReplicas: 2 }, resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '32Mi' } } },
      mcpServers: [{ name: 'calendar', image: 'registry.example/mcp:1', port: 7001 }],
    },
  };
}

const rssMiB = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

async function counts(op: OperatorProcess) {
  const m = async (method: string) => op.metric('rest_client_requests_total', { method });
  const reads = (await m('get')) + (await m('list')) + (await m('discovery'));
  const writes = (await m('apply')) + (await m('apply-status')) + (await m('create')) + (await m('delete'));
  return { reads, writes, reconciles: await op.metric('controller_runtime_reconcile_total'), errors: await op.metric('controller_runtime_reconcile_errors_total') };
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await fn()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const readyCount = (rig: { bin: string; kubeconfig: string }, ns: string) => {
  const out = kubectlOk(rig, ['get', 'bkp', '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return out.split('\n').filter((l) => l === 'True').length;
};

const rig = await startRig({ nodes: 10, log: say });
installCrds(rig);
say(`rig up ${JSON.stringify(rig.timings)}`);
const logDir = mkdtempSync(join(tmpdir(), 'bench-'));
const op = await startOperatorProcess(rig.kubeconfig, { identity: 'bench', env: { LOG_LEVEL: 'warn', LEASE_NAME: 'bench', MAX_CONCURRENT_RECONCILES: '8' }, logDir });
const results: Record<string, unknown> = {};

// 0. kwok's own pod start latency: a bare Deployment, no operator involved
kubectl(rig, ['create', 'namespace', 'kwok-latency']);
const tk = Date.now();
kubectlOk(rig, ['create', 'deployment', 'probe', '-n', 'kwok-latency', '--image=registry.example/x:1', '--replicas=1']);
await until('kwok pod available', () => kubectl(rig, ['get', 'deployment', 'probe', '-n', 'kwok-latency', '-o', 'jsonpath={.status.availableReplicas}']).stdout === '1', 60_000, 20);
results.kwokDeploymentAvailableMs = Date.now() - tk;

// 1. one platform
kubectl(rig, ['create', 'namespace', 'one']);
const before = await counts(op);
const t1 = Date.now();
kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform('one', 'one')));
await until('objects applied', () => kubectl(rig, ['get', 'hpa', 'one-backend', '-n', 'one']).code === 0 && kubectl(rig, ['get', 'deployment', 'one-mcp-calendar', '-n', 'one']).code === 0, 30_000, 10);
results.oneApplyToObjectsMs = Date.now() - t1;
await until('one Ready', () => readyCount(rig, 'one') === 1, 60_000, 20);
results.oneApplyToReadyMs = Date.now() - t1;
await new Promise((r) => setTimeout(r, 2000));
const afterOne = await counts(op);
results.onePlatform = { reconciles: afterOne.reconciles - before.reconciles, reads: afterOne.reads - before.reads, writes: afterOne.writes - before.writes };

// 2. a no-op reconcile (an annotation change: the platform is reconciled, nothing differs)
const n0 = await counts(op);
kubectlOk(rig, ['annotate', 'bkp', 'one', '-n', 'one', `bench/poke=${Date.now()}`]);
await until('reconciled', async () => (await counts(op)).reconciles > n0.reconciles, 10_000, 20);
await new Promise((r) => setTimeout(r, 1000));
const n1 = await counts(op);
results.noOpReconcile = { reconciles: n1.reconciles - n0.reconciles, reads: n1.reads - n0.reads, writes: n1.writes - n0.writes };

// 2b. a spec change: time until every changed object is applied
const t2 = Date.now();
kubectlOk(rig, ['patch', 'bkp', 'one', '-n', 'one', '--type=merge', '-p', JSON.stringify({ spec: { backend: { image: 'registry.example/backend:2.0.0' } } })]);
await until('change applied', () => kubectl(rig, ['get', 'deployment', 'one-backend', '-n', 'one', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).stdout === 'registry.example/backend:2.0.0', 10_000, 10);
results.specChangeToAppliedMs = Date.now() - t2;

// 3. scale
for (const n of sizes) {
  const ns = `scale-${n}`;
  kubectl(rig, ['create', 'namespace', ns]);
  const c0 = await counts(op);
  const items = Array.from({ length: n }, (_, i) => platform(`p${i}`, ns));
  // both timers start before the apply (it takes seconds at N=100)
  const ts = Date.now();
  for (let i = 0; i < items.length; i += 200) kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 200) }));
  let peak = 0;
  await until(`${n} platforms' objects applied`, () => {
    peak = Math.max(peak, rssMiB(op.proc.pid!).rss);
    return kubectlOk(rig, ['get', 'hpa', '-n', ns, '-o', 'name']).split('\n').filter(Boolean).length === n;
  }, 30 * 60_000, 500);
  const appliedMs = Date.now() - ts;
  await until(`${n} Ready`, () => {
    peak = Math.max(peak, rssMiB(op.proc.pid!).rss);
    return readyCount(rig, ns) === n;
  }, 30 * 60_000, 1000);
  const convergedMs = Date.now() - ts;
  const c1 = await counts(op);
  const mem = rssMiB(op.proc.pid!);
  results[`scale${n}`] = { platforms: n, objectsAppliedMs: appliedMs, convergedMs, reconciles: c1.reconciles - c0.reconciles, errors: c1.errors - c0.errors, writes: c1.writes - c0.writes, rssMiB: Math.round(mem.rss), peakRssMiB: Math.round(Math.max(peak, mem.peak)) };
  say(`${n} platforms: ${JSON.stringify(results[`scale${n}`])}`);
}

console.log(JSON.stringify(results, null, 2));
await op.stop();
await rig.stop();
