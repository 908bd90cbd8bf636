/**
 * The chart installed with the real helm into the rig, and the operator run under the chart's
 * ServiceAccount (a token for it, not admin): its least-privilege RBAC must be enough to take a
 * platform to Ready. The image cannot be built here (no container engine), so the chart's own pods
 * run on kwok, and the operator process runs from source with their identity.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk, REPO } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const dir = mkdtempSync(join(tmpdir(), 'helm-test-'));
const RELEASE_NS = 'booking-operator';
const helm = (args: string[]) => {
  const r = spawnSync(join(rig.bin, 'helm'), [...args, '--kubeconfig', rig.kubeconfig], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
let op: OperatorProcess | undefined;
afterAll(async () => {
  await op?.stop();
  spawnSync(join(rig.bin, 'helm'), ['uninstall', 'booking-operator', '-n', RELEASE_NS, '--kubeconfig', rig.kubeconfig]);
});

describe('helm install', () => {
  it('installs the chart; its Deployment becomes available with two replicas', () => {
    helm(['install', 'booking-operator', join(REPO, 'charts/booking-operator'), '-n', RELEASE_NS, '--create-namespace', '--wait', '--timeout', '120s', '--set', 'aws.region=us-east-1', '--set', 'clusterName=rig']);
    const d = JSON.parse(kubectlOk(rig, ['get', 'deployment', '-n', RELEASE_NS, '-l', 'app.kubernetes.io/name=booking-operator', '-o', 'json'])).items[0];
    expect(d.spec.replicas).toBe(2);
    expect(d.status.availableReplicas).toBe(2);
  });

  it('grants the operator enough, and nothing it does not use, to take a platform to Ready', async () => {
    const sa = JSON.parse(kubectlOk(rig, ['get', 'deployment', '-n', RELEASE_NS, '-l', 'app.kubernetes.io/name=booking-operator', '-o', 'json'])).items[0].spec.template.spec.serviceAccountName;
    const token = kubectlOk(rig, ['create', 'token', sa, '-n', RELEASE_NS, '--duration=1h']).trim();
    const admin = readFileSync(rig.kubeconfig, 'utf8');
    const kubeconfig = join(dir, 'operator.kubeconfig');
    writeFileSync(kubeconfig, admin.replace(/token: .+/, `token: ${token}`));
    // the identity really is limited: it may not read what the chart does not grant
    expect(kubectl({ bin: rig.bin, kubeconfig }, ['get', 'pods', '-n', 'kube-system']).code).not.toBe(0);
    expect(kubectl({ bin: rig.bin, kubeconfig }, ['auth', 'can-i', 'create', 'clusterroles']).stdout.trim()).toBe('no');

    op = await startOperatorProcess(kubeconfig, { identity: 'chart-identity', env: { POD_NAMESPACE: RELEASE_NS, LEASE_NAME: 'booking-operator-test' }, logDir: dir });
    kubectl(rig, ['create', 'namespace', 'helm-dev']);
    const example = readFileSync(join(REPO, 'examples/local-external.yaml'), 'utf8').replaceAll('namespace: dev', 'namespace: helm-dev').replace(/kind: Namespace\nmetadata:\n {2}name: dev/, 'kind: Namespace\nmetadata:\n  name: helm-dev');
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], example);
    await waitUntil('Ready under the chart RBAC', () => {
      const r = kubectl(rig, ['get', 'bkp', 'dev', '-n', 'helm-dev', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True';
    }, 90_000);
    expect(await op.metric('rest_client_requests_total', { code: '403' })).toBe(0);
    expect(await op.metric('leader_election_master_status')).toBe(1);
  });
});
