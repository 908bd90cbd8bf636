/** kubectl, the real binary, against the rig. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { RigInfo } from './global-setup.ts';

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
  const r = spawnSync(join(rig.bin, 'kubectl'), ['--kubeconfig', rig.kubeconfig, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl that throws with its stderr on failure. */
export function kubectlOk(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>, args: string[], input?: string): string {
  const r = kubectl(rig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The project's CRD, the real ACK CRDs and the EFS fallback, applied and Established. */
export function installCrds(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>): void {
  kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-f', join(REPO, 'crds'), '-f', ACK_CRDS, '-f', ACK_FALLBACK_CRDS]);
  kubectlOk(rig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}
