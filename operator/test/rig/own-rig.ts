/**
 * A rig of the test file's own, for a file that changes what the other files on the shared rig
 * rely on: cluster-scoped objects (replacing the BookingPlatform CRD), the nodes (cordons, a lost
 * node), the apiserver (restarts). Started in the file's beforeAll with the CRDs installed (with
 * `crds: 'project'` the project's alone, for platforms that need no ACK or ESO kind), stopped in
 * its afterAll; use what it returns where other files use `inject('rig')` (its fields are filled
 * in once beforeAll ran).
 */
import { afterAll, beforeAll } from 'vitest';
import { startRig, type Rig, type RigOptions } from '../../../scripts/rig/rig.ts';
import type { RigInfo } from './global-setup.ts';
import { installCrds } from './kubectl.ts';

export function useOwnRig(name: string, opts: RigOptions & { crds?: 'all' | 'project' } = {}): RigInfo {
  const info = { external: false } as RigInfo;
  let own: Rig | undefined;
  const { crds, ...rigOptions } = opts;
  beforeAll(async () => {
    own = await startRig({ moto: false, ...rigOptions, log: (l) => console.log(`[${name} rig] ${l}`) });
    Object.assign(info, { kubeconfig: own.kubeconfig, bin: own.bin, awsEndpoint: own.awsEndpoint });
    installCrds(info, crds);
  }, 300_000);
  afterAll(async () => {
    await own?.stop();
  });
  return info;
}
