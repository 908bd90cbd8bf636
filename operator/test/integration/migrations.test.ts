/**
 * The migrations Job on the real apiserver, job controller and kwok (which runs a Job's pods to
 * completion): migrations run before the rollout, and a new pod template — a resources change, a
 * new connection — is a new Job instead of a 422 that jams the platform. A refused object (422 on
 * an immutable field) stalls with a short message and heals when the live object changes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const logDir = mkdtempSync(join(tmpdir(), 'operator-logs-'));
const ns = 'migrations';
const name = 'mig';
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-n', ns, '-o', 'json']));
const platform = () => get(['bkp', name]);
const cond = (type: string) => platform().status?.conditions?.find((c: any) => c.type === type);
const jobs = () => (get(['jobs', '-l', `app.kubernetes.io/instance=${name},app.kubernetes.io/name=migrations`]).items as any[]).filter((j) => !j.metadata.deletionTimestamp);
const complete = (job: any) => (job.status?.conditions ?? []).some((c: any) => c.type === 'Complete' && c.status === 'True');
const backend = () => kubectl(rig, ['get', 'deployment', `${name}-backend`, '-n', ns, '-o', 'json']);
const warnings = () => (get(['events', '--field-selector', 'involvedObject.kind=BookingPlatform,type=Warning']).items as any[]).map((e) => `${e.reason}: ${e.message}`);
const merge = (kind: string, obj: string, patch: object) => kubectlOk(rig, ['patch', kind, obj, '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);

/**
 * Ready for the current generation, with one migrations Job (not `previous`), completed, and the
 * backend Deployment; a timeout quotes what was seen last.
 */
async function settled(what: string, previous?: string): Promise<any> {
  return waitUntil(what, () => {
    const p = platform();
    const ready = p.status?.conditions?.find((c: any) => c.type === 'Ready');
    const js = jobs();
    const ok = p.status?.observedGeneration === p.metadata.generation && ready?.status === 'True' && js.length === 1 && js[0].metadata.name !== previous && complete(js[0]) && backend().code === 0;
    if (ok) return js[0];
    throw new Error(`Ready ${ready?.status} ${ready?.reason}: ${ready?.message}; Jobs: ${js.map((j) => `${j.metadata.name}${complete(j) ? ' (complete)' : ''}`).join(', ')}`);
  }, 100_000, 500);
}

let op: OperatorProcess;
beforeAll(async () => {
  kubectl(rig, ['create', 'namespace', ns]);
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'migrations-test', env: { LEASE_NAME: 'migrations-test', WATCH_NAMESPACES: ns }, logDir });
});
afterAll(async () => {
  await op?.stop();
});

describe('migrations, then deploy', () => {
  it('the first rollout waits for the migrations Job: no backend Deployment until it has succeeded', async () => {
    // no pod may start in the namespace yet, so the Job cannot finish until the quota goes
    kubectlOk(rig, ['create', 'quota', 'no-pods', '-n', ns, '--hard=pods=0']);
    await waitUntil('quota counted', () => get(['quota', 'no-pods']).status?.hard?.pods === '0');
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], `
apiVersion: v1
kind: Secret
metadata: {name: mig-postgres, namespace: ${ns}}
stringData: {host: postgres.${ns}.svc, port: "5432", dbname: booking, username: booking, password: first-password}
---
apiVersion: platform.booking.io/v1alpha1
kind: BookingPlatform
metadata: {name: ${name}, namespace: ${ns}}
spec:
  environment: dev
  provisioner: external
  backend:
    image: registry.example/backend:1.0.0
    autoscaling: {minReplicas: 1, maxReplicas: 2}
    resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {memory: 256Mi}}
  database: {engine: postgres, version: "16", external: {secretRef: {name: mig-postgres}}}
  migrations: {command: [alembic, upgrade, head]}
  networkPolicy: {enabled: false}
`);
    let job: any;
    try {
      const waiting = await waitUntil('backend held for the Job', () => (cond('WorkloadsReady')?.reason === 'WaitingForMigrations' ? cond('WorkloadsReady') : undefined), 60_000, 500);
      [job] = jobs();
      expect(waiting.message).toContain(job.metadata.name);
      expect(complete(job)).toBe(false);
      expect(backend().code).not.toBe(0);
    } finally {
      kubectlOk(rig, ['delete', 'quota', 'no-pods', '-n', ns]);
    }
    const done = await settled('Ready after the migrations');
    expect(done.metadata.name).toBe(job.metadata.name);
  });

  it('a resources change and a new connection make new Jobs; the old ones are pruned; nothing jams', { timeout: 300_000 }, async () => {
    const first = await settled('Ready');
    merge('bkp', name, { spec: { backend: { resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '256Mi' } } } } });
    const second = await settled('a new Job, the old one pruned, Ready', first.metadata.name);
    expect(second.spec.template.spec.containers[0].resources.requests.cpu).toBe('200m');
    expect(JSON.parse(backend().stdout).spec.template.spec.containers[0].resources.requests.cpu).toBe('200m');

    // a new password: a new connection hash in every pod template
    merge('secret', 'mig-postgres', { stringData: { password: 'second-password' } });
    kubectlOk(rig, ['annotate', 'bkp', name, '-n', ns, `test.booking.io/poke=${Date.now()}`, '--overwrite']);
    const third = await settled('a third Job, the second pruned, Ready', second.metadata.name);
    expect(third.metadata.name).not.toBe(first.metadata.name);
    expect(cond('Stalled')?.status).toBe('False');
    expect(warnings().filter((w) => /^Apply(Failed|Rejected)/.test(w))).toEqual([]);
  });
});

describe('an object the apiserver refuses', () => {
  it('422 on an immutable field: Stalled names the object and field in a short, value-free message, not sent again; a new spec is tried again', { timeout: 300_000 }, async () => {
    await settled('Ready');
    // someone else's Deployment under the name of one the platform renders, with another selector
    const admin = `${name}-admin`;
    kubectlOk(rig, ['create', 'deployment', admin, '-n', ns, '--image=registry.example/other:1', '--', 'sleep', 'inf']);
    kubectlOk(rig, ['set', 'env', `deployment/${admin}`, '-n', ns, 'API_KEY=sk-live-not-for-status']);
    merge('bkp', name, { spec: { admin: { image: 'registry.example/admin:1.0.0', replicas: 1 } } });

    const stalled = await waitUntil('Stalled', () => (cond('Stalled')?.status === 'True' ? cond('Stalled') : undefined), 60_000, 500);
    expect(stalled.reason).toBe('ApplyRejected');
    expect(stalled.message).toContain(`Deployment ${admin}`);
    expect(stalled.message).toContain('spec.selector');
    expect(stalled.message).toContain('field is immutable');
    expect(stalled.message.length).toBeLessThan(300);
    const visible = JSON.stringify(platform().status) + JSON.stringify(warnings());
    for (const leak of ['sk-live-not-for-status', 'v1.LabelSelector', 'map[string]string']) expect(visible).not.toContain(leak);
    // not sent again while nothing changes: a resync-like poke makes no apply of it
    const refusedApplies = () => op.metric('rest_client_requests_total', { method: 'apply', code: '422' });
    const before = await refusedApplies();
    expect(before).toBeGreaterThanOrEqual(1);
    const reconciles = await op.metric('controller_runtime_reconcile_total');
    kubectlOk(rig, ['annotate', 'bkp', name, '-n', ns, `test.booking.io/poke=${Date.now()}`, '--overwrite']);
    await waitUntil('a reconcile ran', async () => (await op.metric('controller_runtime_reconcile_total')) > reconciles, 20_000);
    expect(await refusedApplies()).toBe(before);

    // the owner removes the impostor and changes the spec: the operator creates its own and is Ready again
    kubectlOk(rig, ['delete', 'deployment', admin, '-n', ns]);
    merge('bkp', name, { spec: { admin: { image: 'registry.example/admin:1.0.1' } } });
    await waitUntil('Ready again', () => cond('Ready')?.status === 'True' && cond('Stalled')?.status === 'False' && platform().status.observedGeneration === platform().metadata.generation, 60_000, 500);
    expect(get(['deployment', admin]).spec.template.spec.containers[0].image).toBe('registry.example/admin:1.0.1');
  });
});
