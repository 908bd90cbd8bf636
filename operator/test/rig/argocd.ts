/**
 * Argo CD's own code, for the GitOps tests: two small Go harnesses of ours built against
 * github.com/argoproj/argo-cd/v3 by scripts/rig/ensure-binaries.sh `argocd` (cached by version):
 *
 * - `argocd-lua`: the health of objects as the application controller computes it — argocd-cm's
 *   resource customizations read by Argo CD's settings manager, the Lua run by util/lua (gopher-lua,
 *   no `string` library unless useOpenLibs), the result through gitops-engine's GetResourceHealth.
 * - `argocd-sync`: one sync operation of an Application from a folder's argocd.yaml, by
 *   gitops-engine's pkg/sync over pkg/cache with Argo CD's tracking and AppProject checks.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO } from './kubectl.ts';

/** The health statuses Argo CD knows. */
export const ARGO_HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;

/** One object's health, or the error Argo CD shows (the resource then reads Unknown). */
export interface ArgoHealth {
  status?: string;
  message?: string;
  error?: string;
}

let binDir: string | undefined;

/** The folder holding argocd-lua and argocd-sync; builds them the first time (minutes, cold). */
export function argocdBin(): string {
  if (binDir) return binDir;
  const out = execFileSync('bash', [join(REPO, 'scripts/rig/ensure-binaries.sh'), 'argocd'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 3_600_000 });
  const m = /^export RIG_ARGOCD=(.+)$/m.exec(out);
  if (!m) throw new Error(`ensure-binaries.sh argocd printed no RIG_ARGOCD:\n${out}`);
  binDir = m[1]!.trim();
  return binDir;
}

/** Writes an argocd-cm ConfigMap object to a file for the harnesses. */
export function writeArgocdCm(cm: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'argocd-cm-')), 'argocd-cm.yaml');
  writeFileSync(file, stringify(cm));
  return file;
}

/**
 * Health of each object as Argo CD computes it with the given argocd-cm file; `null` stands for a
 * resource that is in Git but not in the cluster (Argo CD: Missing).
 */
export function argoHealth(argocdCmFile: string, objects: Array<object | null>): ArgoHealth[] {
  const r = spawnSync(join(argocdBin(), 'argocd-lua'), [argocdCmFile], { input: JSON.stringify(objects), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`argocd-lua failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ArgoHealth[];
}

/** A line argocd-sync prints: the operation's phase, a resource's result, or the end. */
export interface SyncEvent {
  event: 'phase' | 'resource' | 'done' | 'error';
  phase?: string;
  message?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Argo CD's result code: Synced, SyncFailed, Pruned, PruneSkipped. */
  status?: string;
  /** The resource's operation phase: Running, Succeeded, Failed, Error. */
  operation?: string;
  resources?: SyncEvent[];
  error?: string;
}

export interface SyncRun {
  /** Every line so far, in order. */
  events: SyncEvent[];
  /** Resolves with the last line ({event: 'done'} or {event: 'error'}) when the harness exits. */
  done: Promise<SyncEvent>;
  pid: number;
}

/**
 * Starts one sync of Application `app` over `dir` (holding argocd.yaml, argocd-cm-health.yaml and
 * the manifests) against the cluster of `kubeconfig`. Runs until the operation completes or
 * `timeoutSeconds` pass (the harness then reports phase Timeout).
 */
export function startArgoSync(kubeconfig: string, dir: string, app: string, timeoutSeconds = 180): SyncRun {
  const proc = spawn(join(argocdBin(), 'argocd-sync'), ['--kubeconfig', kubeconfig, '--dir', dir, '--app', app, '--timeout', `${timeoutSeconds}s`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: SyncEvent[] = [];
  let buffered = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as SyncEvent);
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const done = new Promise<SyncEvent>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code) => {
      const last = events.at(-1);
      if (last && (last.event === 'done' || last.event === 'error')) resolve(last);
      else reject(new Error(`argocd-sync exited ${code} without a result:\n${stderr}`));
    });
  });
  return { events, done, pid: proc.pid! };
}

/** Runs one sync to its end. */
export async function argoSync(kubeconfig: string, dir: string, app: string, timeoutSeconds = 180): Promise<{ result: SyncEvent; events: SyncEvent[] }> {
  const run = startArgoSync(kubeconfig, dir, app, timeoutSeconds);
  const result = await run.done;
  return { result, events: run.events };
}
