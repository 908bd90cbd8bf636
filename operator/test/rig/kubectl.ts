/** kubectl, the real binary, against the rig (reads answered in process: kube-read.ts). */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { goEnv } from '../../../scripts/rig/rig.ts';
import type { RigInfo } from './global-setup.ts';
import { readInProcess } from './kube-read.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Where scripts/rig/ensure-binaries.sh keeps things (`paths` builds nothing; `all` provides them). */
export function rigPaths(): Record<string, string> {
  const r = spawnSync('bash', [join(REPO, 'scripts/rig/ensure-binaries.sh'), 'paths'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ensure-binaries.sh paths failed: ${r.stderr}`);
  return Object.fromEntries([...r.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

/**
 * The real ACK CRDs (rds-controller, elasticache-controller and s3-controller, from their Go
 * modules' config/crd/bases, cached by version; present once `ensure-binaries.sh all` or `ack` ran,
 * which the rig does first).
 */
export const ACK_CRDS = rigPaths().RIG_ACK_CRDS!;
/**
 * Hand-written FALLBACK for EFS only: no efs-controller module is obtainable here. Strict (no
 * preserved unknown fields), typed for every field the renderers emit and the status ACK writes.
 */
export const ACK_FALLBACK_CRDS = join(REPO, 'operator/test/fixtures/ack-crds');

export function kubectl(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, args: string[], input?: string): KubectlResult {
  // reads (`get … -o json|name`) are answered in this process, as kubectl would answer them
  const read = input === undefined ? readInProcess(rig.kubeconfig, args) : undefined;
  if (read) return read;
  // every CRD as JSON (waitEstablished) is several MiB: above spawnSync's 1 MiB default the call fails with empty output
  const r = spawnSync(join(rig.bin, 'kubectl'), ['--kubeconfig', rig.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: goEnv() });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr || (r.error ? String(r.error) : '') };
}

/** kubectl that throws with its stderr on failure. */
export function kubectlOk(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, args: string[], input?: string): string {
  const r = kubectl(rig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/**
 * The project's CRD, the real ACK CRDs and the EFS fallback, applied and Established; with
 * `project`, the project's CRD alone (a rig whose platforms need no ACK or ESO kind: 34 CRDs fewer
 * for the apiserver to serve and for the operator to watch).
 */
export function installCrds(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, which: 'all' | 'project' = 'all'): void {
  // ESO's ExternalSecret too: installed mid-run by one file, a CRD would change every other file's
  // operators (discovery picks the kind up) while they run
  const others = () => ['-f', ACK_CRDS, '-f', ACK_FALLBACK_CRDS, '-f', join(esoCrdsDir(), 'external-secrets.io_externalsecrets.yaml')];
  const applied = kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-o', 'name', '-f', join(REPO, 'crds'), ...(which === 'all' ? others() : [])]);
  waitEstablished(rig, applied.split('\n').filter(Boolean).map((n) => n.replace(/^.*\//, '')));
}

/** Every CRD named (all of them when none is) Established. */
/** ESO's real CRDs (fetched from its Go module by ensure-binaries.sh `eso-crds`): the directory holding them. */
export function esoCrdsDir(): string {
  const out = execFileSync('bash', [join(REPO, 'scripts/rig/ensure-binaries.sh'), 'eso-crds'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 600_000 });
  return /^export RIG_ESO_CRDS=(.*)$/m.exec(out)![1]!;
}

export function waitEstablished(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, names?: string[], timeoutMs = 120_000): void {
  waitForCondition(rig, 'customresourcedefinitions', names, 'Established', { timeoutMs });
}

/**
 * Polls (bounded) until condition `type` is True on every named object of `resource` (every one
 * listed when `names` is not given). An object without conditions yet — a new CRD's
 * `status.conditions` is null until the apiserver's controllers ran, which under load takes a
 * while — is waited for; `kubectl wait --for=condition=…` fails at once on it instead.
 */
export function waitForCondition(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, resource: string, names: string[] | undefined, type: string, opts: { namespace?: string; timeoutMs?: number } = {}): void {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let pending: string;
  for (;;) {
    const r = kubectl(rig, ['get', resource, ...(names?.length ? names : []), ...(opts.namespace ? ['-n', opts.namespace] : []), '-o', 'json']);
    if (r.code === 0) {
      const doc = JSON.parse(r.stdout);
      const items: any[] = doc.kind?.endsWith('List') ? doc.items : [doc];
      const waiting = items.filter((o) => !(o.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True')).map((o) => o.metadata.name as string);
      if (waiting.length === 0) return;
      pending = waiting.join(', ');
    } else {
      pending = r.stderr.trim();
    }
    if (Date.now() > deadline) throw new Error(`${type} not True after ${timeoutMs} ms on ${resource}: ${pending}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}
