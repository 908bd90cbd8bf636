/**
 * ACK installed after the operator: an `ack` platform reaches Ready without a restart. Runs on a
 * rig of its own, since the shared one has the ACK CRDs from the start (and removing them would
 * take the other files' ACK objects along).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from '../../../scripts/rig/rig.ts';
import { rawPlatform, withDatabase, withUploads } from '../fixtures/platform.ts';
import { makeAllAvailable } from '../rig/fake-ack.ts';
import { ACK_CRDS, kubectl, kubectlOk, REPO, waitEstablished } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

let own: Rig;
let op: OperatorProcess | undefined;
beforeAll(async () => {
  own = await startRig({ nodes: 1, moto: false, log: (l) => console.log(`[own rig] ${l}`) });
  // the project's CRD only: no ACK yet
  kubectlOk(own, ['apply', '--server-side', '-f', join(REPO, 'crds')]);
  waitEstablished(own);
});
afterAll(async () => {
  await op?.stop('SIGKILL'); // already stopped unless the test failed
  await own?.stop();
});

const platformStatus = () => {
  const r = kubectl(own, ['get', 'bkp', 'late', '-n', 'late', '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout).status : undefined;
};

describe('ACK installed after the operator started', () => {
  it('is watched without a restart: the ack platform reaches Ready', async () => {
    op = await startOperatorProcess(own.kubeconfig, { identity: 'late-kinds', env: { LEASE_NAME: 'late-kinds' }, logDir: mkdtempSync(join(tmpdir(), 'late-kinds-')) });
    kubectlOk(own, ['create', 'namespace', 'late']);
    kubectlOk(own, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...rawPlatform('late', withDatabase(), withUploads()), metadata: { name: 'late', namespace: 'late' } }));
    // without ACK the operator cannot create the DBInstance, and says so
    const blocked = await waitUntil('the platform blocked on the missing ACK kinds', () => platformStatus()?.conditions?.find((c: any) => c.type === 'Ready' && c.status === 'False'), 60_000);
    console.log(`[late-kinds] before ACK: Ready=False ${blocked.reason}: ${blocked.message}`);

    const installedAt = Date.now();
    kubectlOk(own, ['apply', '--server-side', '-f', ACK_CRDS]);
    waitEstablished(own);
    // the test plays ACK: the operator sees the status only if it watches the ACK kinds
    await waitUntil('Ready after ACK was installed', () => {
      makeAllAvailable(own, 'late');
      return platformStatus()?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    }, 120_000, 500);
    console.log(`[late-kinds] Ready ${Date.now() - installedAt} ms after the ACK CRDs were applied`);
    expect(op.proc.exitCode).toBeNull(); // the same process, never restarted
    expect(platformStatus().conditions.find((c: any) => c.type === 'DatabaseReady')?.status).toBe('True');
    // and it still shuts down cleanly: every informer started late is stopped too
    const exited = await Promise.race([op.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
    expect(exited).toBe(0);
  });
});
