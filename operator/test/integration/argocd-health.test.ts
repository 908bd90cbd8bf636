/**
 * The BookingPlatform health check Argo CD runs (argocd-cm-health.yaml, through Argo CD's own
 * util/lua and gitops-engine's GetResourceHealth: scripts/rig/argocd-lua) on live objects taken
 * from the rig at each step of a platform's life, with the operator running (`ack`, the test
 * playing ACK): created, provisioning, Ready, spec edited (status for an older generation),
 * Stalled, paused, deleting (the finalizer carrying out the policies), gone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { argocdCmPatch } from '../../../cdk8s/argocd/cm.ts';
import { rawPlatform, set, withDatabase } from '../fixtures/platform.ts';
import { argocdBin, argoHealth, writeArgocdCm, type ArgoHealth } from '../rig/argocd.ts';
import { makeAllAvailable, terminal } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const NS = 'argocd-health';
const ACK_FINALIZER = 'finalizers.services.k8s.aws/argocd-health-test';
const logDir = mkdtempSync(join(tmpdir(), 'argocd-health-'));
let op: OperatorProcess | undefined;
let cm: string;

const startOperator = async () => {
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'argocd-health', env: { LEASE_NAME: 'argocd-health', WATCH_NAMESPACES: NS }, logDir });
};
const stopOperator = async () => {
  await op?.stop();
  op = undefined;
};

beforeAll(() => {
  argocdBin(); // built once and cached (several minutes cold)
  cm = writeArgocdCm(argocdCmPatch());
}, 1_800_000);
afterAll(async () => {
  const r = kubectl(rig, ['get', 'dbinstances.rds.services.k8s.aws', '-n', NS, '-o', 'name']);
  for (const name of r.code === 0 ? r.stdout.split('\n').filter(Boolean) : []) kubectl(rig, ['patch', name, '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await stopOperator();
});

const live = () => {
  const r = kubectl(rig, ['get', 'bkp', 'shop', '-n', NS, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : null;
};
const cond = (p: any, type: string) => p?.status?.conditions?.find((c: any) => c.type === type);
const health = (obj: object | null): ArgoHealth => argoHealth(cm, [obj])[0]!;
const patchSpec = (spec: object) => kubectlOk(rig, ['patch', 'bkp', 'shop', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec })]);
const dbName = () => JSON.parse(kubectlOk(rig, ['get', 'dbinstances.rds.services.k8s.aws', '-n', NS, '-o', 'json'])).items[0]?.metadata.name as string | undefined;

it('gives Argo CD the right health at every step of a platform’s life', async () => {
  // created, before the operator has seen it
  kubectl(rig, ['create', 'namespace', NS]);
  const p = { ...rawPlatform('shop', withDatabase({ deletionPolicy: 'Delete' }), set('environment', 'staging')), metadata: { name: 'shop', namespace: NS } };
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(p));
  expect(health(live())).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });

  // provisioning: the database is being created
  await startOperator();
  const provisioning = await waitUntil('Provisioning', () => (live()?.status?.phase === 'Provisioning' ? live() : undefined), 60_000, 250);
  expect(health(provisioning)).toEqual({ status: 'Progressing', message: cond(provisioning, 'Ready').message });

  // Ready
  const ready = await waitUntil('Ready', () => {
    makeAllAvailable(rig, NS);
    const o = live();
    return cond(o, 'Ready')?.status === 'True' && o.status.observedGeneration === o.metadata.generation ? o : undefined;
  }, 120_000, 500);
  expect(health(ready)).toEqual({ status: 'Healthy', message: cond(ready, 'Ready').message });

  // spec edited while the operator is away: the status (Ready) is for the previous generation
  await stopOperator();
  patchSpec({ backend: { image: 'registry.example/backend:2.0.0' } });
  const edited = live();
  expect(edited.metadata.generation).toBe(ready.metadata.generation + 1);
  expect(health(edited)).toEqual({
    status: 'Progressing',
    message: `Waiting for the operator to observe generation ${edited.metadata.generation} (status is for ${ready.metadata.generation})`,
  });
  await startOperator();

  // Stalled: ACK reports a terminal error on the database
  const db = await waitUntil('DBInstance', dbName, 30_000, 250);
  terminal(rig, NS, 'DBInstance', db, 'InvalidParameterCombination: the instance class is not offered');
  const stalled = await waitUntil('Stalled', () => (cond(live(), 'Stalled')?.status === 'True' ? live() : undefined), 60_000, 250);
  expect(health(stalled)).toEqual({ status: 'Degraded', message: cond(stalled, 'Stalled').message });
  expect(health(stalled).message).toContain('InvalidParameterCombination');
  makeAllAvailable(rig, NS);
  await waitUntil('Ready again', () => cond(live(), 'Ready')?.status === 'True', 120_000, 500);

  // paused
  patchSpec({ paused: true });
  const paused = await waitUntil('Paused', () => (live()?.status?.phase === 'Paused' ? live() : undefined), 60_000, 250);
  expect(health(paused)).toEqual({ status: 'Suspended', message: 'Paused (spec.paused): the operator makes no changes to this platform' });
  patchSpec({ paused: false });
  await waitUntil('Ready after unpausing', () => cond(live(), 'Ready')?.status === 'True' && live().status.observedGeneration === live().metadata.generation, 120_000, 500);

  // deleting: the finalizer hands the database to ACK (which holds it, as AWS takes a while) and waits
  kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', db, '-n', NS, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [ACK_FINALIZER] } })]);
  kubectlOk(rig, ['delete', 'bkp', 'shop', '-n', NS, '--wait=false']);
  const deleting = await waitUntil('Deleting', () => {
    const o = live();
    return o?.status?.phase === 'Deleting' && /waiting for ACK/.test(cond(o, 'Ready')?.message ?? '') ? o : undefined;
  }, 60_000, 250);
  expect(health(deleting)).toEqual({ status: 'Progressing', message: `Deleting: ${cond(deleting, 'Ready').message}` });

  // gone: a platform still in Git but not in the cluster is Missing
  kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', db, '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await waitUntil('platform gone', () => live() === null, 60_000, 250);
  expect(health(live())).toEqual({ status: 'Missing' });
}, 600_000);
