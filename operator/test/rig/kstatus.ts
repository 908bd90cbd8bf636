/**
 * kstatus as Flux, kpt and cli-utils compute it: the harness scripts/rig/kstatus/main.go, built
 * against sigs.k8s.io/cli-utils by scripts/rig/ensure-binaries.sh (the rig runs its `all` target).
 */
import { spawnSync } from 'node:child_process';
import { rigPaths } from './kubectl.ts';

export type KStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';

export const KSTATUS_BIN = rigPaths().RIG_KSTATUS!;

/** kstatus's verdict on one object (as read from the apiserver). */
export function kstatus(obj: unknown): { status: KStatus; message: string } {
  const r = spawnSync(KSTATUS_BIN, [], { input: JSON.stringify(obj), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${KSTATUS_BIN} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n')[0]!);
}
