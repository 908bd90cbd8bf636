/**
 * The cdk8s GitOps output against the real apiserver: every synthesized object passes server-side
 * dry-run, and a sync with prune (kubectl's ApplySet, the same add/change/remove semantics an
 * Argo CD Application with prune has) adds, changes and removes platforms as the config changes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONFIG, type Config, type Tenant } from '../../../cdk8s/config.ts';
import { synth } from '../../../cdk8s/main.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');
const tenant = (name: string, image = 'registry.example/backend:1.0.0'): Tenant => {
  const t = structuredClone(CONFIG.staging.tenants[0]!);
  return { ...t, name, namespace: `gitops-${name}`, spec: { ...t.spec, backend: { ...t.spec.backend, image } } };
};
const configWith = (tenants: Tenant[]): Config => ({ ...structuredClone(CONFIG), staging: { ...structuredClone(CONFIG.staging), tenants } });

/**
 * One sync of the platforms Application, by Argo CD's rules: server-side apply of everything in
 * Git, then prune what carries the Application's tracking label (here the environment label) but
 * is no longer in Git — platforms first, their Namespaces last (`PruneLast=true`).
 */
function sync(dir: string): string[] {
  const file = join(dir, 'staging', '10-platforms.yaml');
  const r = kubectl(rig, ['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '-f', file]);
  if (r.code !== 0) throw new Error(r.stderr);
  const inGit = new Set(parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
  const events = r.stdout.split('\n').filter((l) => /created|configured/.test(l));
  for (const kind of ['bookingplatforms', 'namespaces']) {
    const live = JSON.parse(kubectlOk(rig, ['get', kind, '-A', '-l', TRACKING, '-o', 'json'])).items;
    for (const o of live) {
      if (o.metadata.deletionTimestamp || inGit.has(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)) continue;
      kubectlOk(rig, ['delete', kind, o.metadata.name, ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), '--wait=false']);
      events.push(`${o.kind}/${o.metadata.name} pruned`);
    }
  }
  return events;
}
const TRACKING = 'platform.booking.io/environment=staging,app.kubernetes.io/part-of=booking-platform';
const platforms = () =>
  JSON.parse(kubectlOk(rig, ['get', 'bkp', '-A', '-l', 'platform.booking.io/environment=staging', '-o', 'json'])).items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}=${p.spec.backend.image}`).sort();


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

describe('sync with prune', () => {
  it('adds, changes and removes platforms as Git changes', () => {
    const v1 = mkdtempSync(join(tmpdir(), 'gitops-v1-'));
    const v2 = mkdtempSync(join(tmpdir(), 'gitops-v2-'));
    synth(v1, configWith([tenant('alpha'), tenant('beta')]));
    synth(v2, configWith([tenant('alpha', 'registry.example/backend:2.0.0'), tenant('gamma')]));

    sync(v1);
    expect(platforms()).toEqual(['gitops-alpha/alpha=registry.example/backend:1.0.0', 'gitops-beta/beta=registry.example/backend:1.0.0']);

    const out = sync(v2);
    expect(out).toContain('BookingPlatform/beta pruned');
    expect(out).toContain('Namespace/gitops-beta pruned');
    expect(platforms()).toEqual(['gitops-alpha/alpha=registry.example/backend:2.0.0', 'gitops-gamma/gamma=registry.example/backend:1.0.0']);

    // a second sync of the same commit changes nothing
    expect(sync(v2)).toEqual([]);
  });
});
