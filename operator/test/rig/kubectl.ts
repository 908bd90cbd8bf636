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
export const ACK_CRDS = join(REPO, 'operator/test/fixtures/ack-crds');

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

/** The project's CRD and the ACK kinds' test CRDs, applied and Established. */
export function installCrds(rig: Pick<RigInfo, 'bin' | 'kubeconfig'>): void {
  kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-f', join(REPO, 'crds'), '-f', ACK_CRDS]);
  kubectlOk(rig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}
