/**
 * The cdk8s GitOps output against the real apiserver: every synthesized object passes server-side
 * dry-run, and a sync with prune (kubectl's ApplySet, the same add/change/remove semantics an
 * Argo CD Application with prune has) adds, changes and removes platforms as the config changes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CONFIG, type Config, type Tenant } from '../../../cdk8s/config.ts';
import { synth } from '../../../cdk8s/main.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');
const tenant = (name: string, image = 'registry.example/backend:1.0.0'): Tenant => {
  const t = structuredClone(CONFIG.staging.tenants[0]!);
  return { ...t, name, namespace: `gitops-${name}`, spec: { ...t.spec, backend: { ...t.spec.backend, image } } };
};
const configWith = (tenants: Tenant[]): Config => ({ ...structuredClone(CONFIG), staging: { ...structuredClone(CONFIG.staging), tenants } });

/** One Argo CD sync of the platforms Application: server-side apply, prune what left Git. */
function sync(dir: string) {
  const r = kubectl(rig, ['apply', '--server-side', '--force-conflicts', '--field-manager=argocd-controller', '--applyset=configmap/booking-platforms-staging', '-n', 'gitops-argocd', '--prune', '-f', join(dir, 'staging', '10-platforms.yaml')]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}
const platforms = () =>
  JSON.parse(kubectlOk(rig, ['get', 'bkp', '-A', '-l', 'platform.booking.io/environment=staging', '-o', 'json'])).items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}=${p.spec.backend.image}`).sort();

beforeAll(() => {
  process.env.KUBECTL_APPLYSET = 'true';
  kubectl(rig, ['create', 'namespace', 'gitops-argocd']);
});

describe('synthesized environments', () => {
  it.each(['staging', 'production'])('%s: every Kubernetes object passes server-side dry-run', (env) => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    synth(dir);
    for (const file of ['00-operator.yaml', '10-platforms.yaml']) {
      // namespaces first, so namespaced objects can be dry-run into them
      const text = readFileSync(join(dir, env, file), 'utf8');
      for (const ns of [...text.matchAll(/^kind: Namespace\nmetadata:\n(?:  .*\n)*?  name: (\S+)/gm)].map((m) => m[1]!)) kubectl(rig, ['create', 'namespace', ns]);
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
    expect(out).toMatch(/bookingplatform.platform.booking.io\/beta pruned/);
    expect(platforms()).toEqual(['gitops-alpha/alpha=registry.example/backend:2.0.0', 'gitops-gamma/gamma=registry.example/backend:1.0.0']);

    // a second sync of the same commit changes nothing
    expect(sync(v2)).not.toMatch(/configured|created|pruned/);
  });
});
