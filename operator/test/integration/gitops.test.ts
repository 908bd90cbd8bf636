/**
 * The cdk8s GitOps output against the real apiserver: every synthesized object passes server-side
 * dry-run, and Argo CD's own sync engine (gitops-engine pkg/sync over pkg/cache, with Argo CD's
 * resource tracking and AppProject checks: scripts/rig/argocd-sync) syncs the platforms
 * Application from cdk8s/dist/<env> as Git changes: install, change a tenant, remove a tenant —
 * with the operator running, so removal goes through its finalizer and deletion policies.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPLICATION_HEALTH_KEY } from '../../../cdk8s/argocd/cm.ts';
import { CONFIG, type Config, type Tenant } from '../../../cdk8s/config.ts';
import { ARGOCD_CM_FILE, synth } from '../../../cdk8s/main.ts';
import { argocdBin, argoHealth, argoSync, startArgoSync, type SyncEvent } from '../rig/argocd.ts';
import { makeAllAvailable } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const tenant = (name: string, image = 'registry.example/backend:1.0.0'): Tenant => {
  const t = structuredClone(CONFIG.staging.tenants[0]!);
  return { ...t, name, namespace: `gitops-${name}`, spec: { ...t.spec, backend: { ...t.spec.backend, image } } };
};
const configWith = (tenants: Tenant[]): Config => ({ ...structuredClone(CONFIG), staging: { ...structuredClone(CONFIG.staging), tenants } });

describe('synthesized environments', () => {
  it.each(['staging', 'production'])('%s: every Kubernetes object passes server-side dry-run', (env) => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    synth(dir);
    for (const file of ['00-operator.yaml', '10-platforms.yaml']) {
      // namespaces first, so namespaced objects can be dry-run into them
      const text = readFileSync(join(dir, env, file), 'utf8');
      for (const ns of [...text.matchAll(/^kind: Namespace\nmetadata:\n(?: {2}.*\n)*? {2}name: (\S+)/gm)].map((m) => m[1]!)) kubectl(rig, ['create', 'namespace', ns]);
      const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-f', join(dir, env, file)]);
      expect(r.stderr, `${env}/${file}`).toBe('');
      expect(r.code).toBe(0);
    }
  });
});


describe('Argo CD sync of the platforms Application (gitops-engine)', () => {
  const APP = 'booking-platforms-staging';
  const NAMESPACES = ['gitops-alpha', 'gitops-beta'];
  const ACK_FINALIZER = 'finalizers.services.k8s.aws/gitops-test';
  let op: OperatorProcess;

  beforeAll(async () => {
    argocdBin(); // built once and cached (several minutes cold)
    op = await startOperatorProcess(rig.kubeconfig, { identity: 'gitops-test', env: { LEASE_NAME: 'gitops-test', WATCH_NAMESPACES: NAMESPACES.join(',') }, logDir: mkdtempSync(join(tmpdir(), 'gitops-')) });
  }, 1_800_000);
  afterAll(async () => {
    // a DBInstance finalizer this test put on must not outlive it
    for (const ns of NAMESPACES) {
      const r = kubectl(rig, ['get', 'dbinstances.rds.services.k8s.aws', '-n', ns, '-o', 'name']);
      for (const name of r.code === 0 ? r.stdout.split('\n').filter(Boolean) : []) kubectl(rig, ['patch', name, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    await op?.stop();
  });

  /** One commit: the synthesized staging folder for these tenants. */
  const commit = (tenants: Tenant[]): string => {
    const dir = mkdtempSync(join(tmpdir(), 'gitops-commit-'));
    synth(dir, configWith(tenants));
    return join(dir, 'staging');
  };
  const platform = (ns: string, name: string) => {
    const r = kubectl(rig, ['get', 'bkp', name, '-n', ns, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  };
  const namespace = (ns: string) => {
    const r = kubectl(rig, ['get', 'namespace', ns, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  };
  const resultOf = (events: SyncEvent[], kind: string, name: string) => events.filter((e) => e.event === 'resource' && e.kind === kind && e.name === name).at(-1);

  it('installs the tenants, changes one, and a second sync of the same commit changes nothing', async () => {
    const v1 = commit([tenant('alpha'), tenant('beta')]);
    const install = await argoSync(rig.kubeconfig, v1, APP);
    expect(install.result, JSON.stringify(install.events)).toMatchObject({ event: 'done', phase: 'Succeeded' });
    for (const t of ['alpha', 'beta']) {
      const p = platform(`gitops-${t}`, t);
      // Argo CD v3's annotation tracking: <app>:<group>/<kind>:<namespace>/<name>
      expect(p.metadata.annotations['argocd.argoproj.io/tracking-id']).toBe(`${APP}:platform.booking.io/BookingPlatform:gitops-${t}/${t}`);
      expect(p.spec.backend.image).toBe('registry.example/backend:1.0.0');
      const fields = JSON.parse(kubectlOk(rig, ['get', 'bkp', t, '-n', `gitops-${t}`, '-o', 'json', '--show-managed-fields'])).metadata.managedFields;
      expect(fields.map((f: any) => f.manager)).toContain('argocd-controller');
    }

    const v2 = commit([tenant('alpha', 'registry.example/backend:2.0.0'), tenant('beta')]);
    const change = await argoSync(rig.kubeconfig, v2, APP);
    expect(change.result, JSON.stringify(change.events)).toMatchObject({ event: 'done', phase: 'Succeeded' });
    expect(platform('gitops-alpha', 'alpha').spec.backend.image).toBe('registry.example/backend:2.0.0');
    expect(platform('gitops-beta', 'beta').spec.backend.image).toBe('registry.example/backend:1.0.0');

    const before = { alpha: platform('gitops-alpha', 'alpha').metadata.generation, ns: namespace('gitops-alpha').metadata.resourceVersion };
    const again = await argoSync(rig.kubeconfig, v2, APP);
    expect(again.result).toMatchObject({ event: 'done', phase: 'Succeeded' });
    expect(again.events.filter((e) => e.event === 'resource' && e.status === 'Pruned')).toEqual([]);
    expect({ alpha: platform('gitops-alpha', 'alpha').metadata.generation, ns: namespace('gitops-alpha').metadata.resourceVersion }).toEqual(before);
  });

  it('removing a tenant prunes its platform first, which the operator deletes by its policies, then its namespace', async () => {
    // the operator has taken beta on: its finalizer, and the database it asked ACK for
    const db = await waitUntil('beta\'s DBInstance', () => {
      const r = kubectl(rig, ['get', 'dbinstances.rds.services.k8s.aws', '-n', 'gitops-beta', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout).items[0] : undefined;
    }, 60_000, 500);
    expect(platform('gitops-beta', 'beta').metadata.finalizers?.length).toBeGreaterThan(0);
    // playing ACK: a finalizer on what it manages, so the deletion takes a while, as in AWS
    kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', db.metadata.name, '-n', 'gitops-beta', '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [ACK_FINALIZER] } })]);

    const v3 = commit([tenant('alpha', 'registry.example/backend:2.0.0')]);
    const run = startArgoSync(rig.kubeconfig, v3, APP, 300);
    const waiting = await Promise.race([
      run.done,
      waitUntil('the sync to wait for the platform\'s deletion', () => run.events.find((e) => e.event === 'phase' && /waiting for deletion of platform\.booking\.io\/BookingPlatform\/beta/.test(e.message ?? '')), 120_000, 250),
    ]);
    // before the fix: "namespace gitops-beta is not permitted in project 'booking'", or the Namespace pruned instead
    expect(waiting, JSON.stringify(run.events)).toMatchObject({ event: 'phase', phase: 'Running' });

    // the platform is being deleted in the background (no foreground cascade ahead of the finalizer) ...
    const deleting = await waitUntil('beta in phase Deleting', () => {
      const p = platform('gitops-beta', 'beta');
      return p?.metadata.deletionTimestamp && p.status?.phase === 'Deleting' ? p : undefined;
    }, 60_000, 500);
    expect(deleting.metadata.finalizers).not.toContain('foregroundDeletion');
    // ... the operator carries out the recorded policy (staging's database: Delete) ...
    const dbDeleting = await waitUntil('DBInstance handed to ACK', () => {
      const o = JSON.parse(kubectlOk(rig, ['get', 'dbinstances.rds.services.k8s.aws', db.metadata.name, '-n', 'gitops-beta', '-o', 'json']));
      return o.metadata.deletionTimestamp ? o : undefined;
    }, 60_000, 500);
    expect(dbDeleting.metadata.annotations).toMatchObject({ 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' });
    // ... Argo CD shows what it waits for ...
    const cm = join(v3, ARGOCD_CM_FILE);
    expect(readFileSync(cm, 'utf8')).toContain(APPLICATION_HEALTH_KEY);
    expect(argoHealth(cm, [platform('gitops-beta', 'beta')])[0]).toMatchObject({ status: 'Progressing', message: expect.stringMatching(/^Deleting: /) });
    // ... and the namespace, with everything the finalizer may still need, is untouched
    expect(namespace('gitops-beta').metadata.deletionTimestamp).toBeUndefined();
    expect(resultOf(run.events, 'Namespace', 'gitops-beta')).toBeUndefined();

    // Pruning in waves makes the sync multi-step, so Argo CD also waits for the platforms that stay
    // to be Healthy (through health.lua) before its last step: playing ACK, alpha's services come up.
    await waitUntil('alpha Ready', () => {
      makeAllAvailable(rig, 'gitops-alpha');
      return platform('gitops-alpha', 'alpha')?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    }, 120_000, 1000);
    // ACK lets go: the operator drops its finalizer, the platform goes, then Argo CD prunes the namespace
    kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', db.metadata.name, '-n', 'gitops-beta', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const result = await run.done;
    expect(result, JSON.stringify(run.events)).toMatchObject({ event: 'done', phase: 'Succeeded' });
    const order = [...new Set(run.events.filter((e) => e.event === 'resource' && e.status === 'Pruned').map((e) => `${e.kind}/${e.name}`))];
    expect(order).toEqual(['BookingPlatform/beta', 'Namespace/gitops-beta']);
    expect(platform('gitops-beta', 'beta')).toBeUndefined();
    expect(namespace('gitops-beta')?.metadata.deletionTimestamp ?? 'gone').toBeTruthy();
    // the other tenant is untouched
    expect(platform('gitops-alpha', 'alpha')).toMatchObject({ spec: { backend: { image: 'registry.example/backend:2.0.0' } } });
    expect(platform('gitops-alpha', 'alpha').metadata.deletionTimestamp).toBeUndefined();
  }, 400_000);
});
