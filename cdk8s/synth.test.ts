/** The GitOps synth: deterministic files, valid objects, Argo CD ordering, tenants as configured. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helmTemplate, REPO_ROOT, type K8sObject } from '../charts/booking-operator/helm.ts';
import { parsePlatform } from '../operator/src/api/platform.ts';
import { APPLICATION_HEALTH_KEY, BOOKING_PLATFORM_HEALTH_KEY } from './argocd/cm.ts';
import { CONFIG, ENVIRONMENTS, loadConfig, type Config, type EnvironmentName } from './config.ts';
import { ARGOCD_CM_FILE, ARGOCD_FILE, synth } from './main.ts';
import { CLUSTER_SCOPED_RULES, NAMESPACED_RULES } from './operator.ts';

const tmpDirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdk8s-synth-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Every file under dir, relative path → content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const docs = (text: string): K8sObject[] => parseAllDocuments(text).map((d) => d.toJS() as K8sObject).filter(Boolean);
const clone = <T>(v: T): T => structuredClone(v);

/** Synthesizes `config` and returns each environment's objects per file. */
function synthesized(config: Config = CONFIG): Record<EnvironmentName, Record<string, K8sObject[]>> {
  const dir = tmp();
  synth(dir, config);
  const out = {} as Record<EnvironmentName, Record<string, K8sObject[]>>;
  for (const env of ENVIRONMENTS) {
    out[env] = Object.fromEntries(readdirSync(join(dir, env)).sort().map((f) => [f, docs(readFileSync(join(dir, env, f), 'utf8'))]));
  }
  return out;
}

const wave = (o: K8sObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
const FILES = ['00-operator.yaml', '10-platforms.yaml', ARGOCD_FILE, ARGOCD_CM_FILE].sort();
const out = synthesized();

describe('synth', () => {
  it('writes the same four files per environment and returns their paths', () => {
    const dir = tmp();
    const written = synth(dir);
    expect(written.map((p) => relative(dir, p)).sort()).toEqual(ENVIRONMENTS.flatMap((e) => FILES.map((f) => join(e, f))).sort());
    for (const p of written) expect(existsSync(p)).toBe(true);
  });

  it('is byte-identical across runs and processes', () => {
    const a = tmp();
    const b = tmp();
    synth(a);
    synth(b);
    const first = snapshot(a);
    expect(Object.keys(first)).toHaveLength(ENVIRONMENTS.length * FILES.length);
    expect(snapshot(b)).toEqual(first);
    // run as a program (`node cdk8s/main.ts` writes cdk8s/dist/ under the working directory)
    const cwd = tmp();
    execFileSync(process.execPath, [join(REPO_ROOT, 'cdk8s/main.ts')], { cwd, stdio: 'pipe' });
    expect(snapshot(join(cwd, 'cdk8s/dist'))).toEqual(first);
  });

  it('matches the committed cdk8s/dist/ that Argo CD syncs', () => {
    const dir = tmp();
    synth(dir);
    const committed = join(REPO_ROOT, 'cdk8s/dist');
    expect(existsSync(committed), 'cdk8s/dist/ is missing: run node cdk8s/main.ts and commit it').toBe(true);
    expect(snapshot(committed), 'cdk8s/dist/ is stale: run node cdk8s/main.ts and commit it').toEqual(snapshot(dir));
  });

  it('gives every object apiVersion, kind and an explicit, hash-free metadata.name', () => {
    for (const env of ENVIRONMENTS) {
      const all = Object.values(out[env]).flat();
      expect(all.length).toBeGreaterThan(10);
      for (const o of all) {
        expect(o.apiVersion, JSON.stringify(o.metadata)).toMatch(/^([a-z0-9.-]+\/)?v[0-9a-z]+$/);
        expect(o.kind).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(o.metadata.name).toMatch(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/);
        // cdk8s appends -c8<hash> to names it makes up; none here
        expect(o.metadata.name).not.toMatch(/-c8[0-9a-f]{6,}$/);
      }
      const keys = Object.entries(out[env]).filter(([f]) => f !== ARGOCD_CM_FILE).flatMap(([, objs]) => objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
      expect(new Set(keys).size, 'no object twice').toBe(keys.length);
    }
  });

  it('fails on invalid config before writing anything', () => {
    const bad = clone(CONFIG);
    (bad.staging.tenants[0] as { spec: { database: { version: string } } }).spec.database.version = 'latest';
    bad.production.operator.watchNamespaces = ['acme'];
    const dir = tmp();
    expect(() => synth(dir, bad)).toThrow(/staging: tenants\[0\] \(acme-staging\/acme\): spec\.database\.version/);
    expect(() => loadConfig(bad)).toThrow(/production: tenant namespace globex is not in operator\.watchNamespaces/);
    expect(readdirSync(dir)).toEqual([]);
    const noImage = clone(CONFIG);
    (noImage.production.tenants[1] as { spec: { backend: Record<string, unknown> } }).spec.backend = {};
    expect(() => loadConfig(noImage)).toThrow(/globex.*backend\.image/);
  });
});

describe('00-operator.yaml', () => {
  it('starts with the operator namespace under Pod Security "restricted", then the CRD from crds/', () => {
    for (const env of ENVIRONMENTS) {
      const [ns, crd] = out[env]['00-operator.yaml'] as K8sObject[];
      expect(ns?.kind).toBe('Namespace');
      expect(ns?.metadata.name).toBe('booking-operator');
      expect(ns?.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
      const fromRepo = docs(readFileSync(join(REPO_ROOT, 'crds/platform.booking.io_bookingplatforms.yaml'), 'utf8'))[0] as K8sObject;
      expect(crd?.spec).toEqual(fromRepo.spec);
      expect(crd?.metadata.name).toBe('bookingplatforms.platform.booking.io');
      // deleting the CRD would delete every platform: Argo CD must never prune it
      expect(crd?.metadata.annotations?.['argocd.argoproj.io/sync-options']).toContain('Prune=false');
    }
  });

  it('has the same ServiceAccount, RBAC, Deployment, PDB and Service as the Helm chart', () => {
    const variants: Array<[string, Config]> = [['default', CONFIG], ['namespaced', namespacedConfig()]];
    for (const [variant, config] of variants) {
      const ours = synthesized(config);
      for (const env of ENVIRONMENTS) {
        const op = config[env].operator;
        const helm = helmTemplate([
          '--set', `image.tag=${op.imageTag}`,
          '--set', `aws.region=${op.awsRegion}`,
          '--set', `clusterName=${op.clusterName}`,
          '--set', `logLevel=${op.logLevel ?? 'info'}`,
          '--set-json', `watchNamespaces=${JSON.stringify(op.watchNamespaces)}`,
          ...(op.iamRoleArn ? ['--set', `serviceAccount.iamRoleArn=${op.iamRoleArn}`] : []),
        ]);
        const mine = [...(ours[env]['00-operator.yaml'] ?? []), ...(ours[env]['10-platforms.yaml'] ?? [])].filter((o) => !['Namespace', 'CustomResourceDefinition', 'BookingPlatform'].includes(o.kind));
        const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        expect(mine.map(key).sort(), `${variant} ${env}: same objects`).toEqual(helm.map(key).sort());
        for (const h of helm) {
          const m = mine.find((o) => key(o) === key(h));
          expect(normalize(m), `${variant} ${env}: ${key(h)}`).toEqual(normalize(h));
        }
      }
    }
  });
});

describe('10-platforms.yaml', () => {
  it('holds exactly the configured tenants’ BookingPlatforms, each valid, each in its own namespace', () => {
    for (const env of ENVIRONMENTS) {
      const objs = out[env]['10-platforms.yaml'] as K8sObject[];
      const platforms = objs.filter((o) => o.kind === 'BookingPlatform');
      const tenants = CONFIG[env].tenants;
      expect(platforms.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(tenants.map((t) => `${t.namespace}/${t.name}`).sort());
      for (const t of tenants) {
        const p = platforms.find((o) => o.metadata.name === t.name && o.metadata.namespace === t.namespace) as K8sObject;
        expect(p.apiVersion).toBe('platform.booking.io/v1alpha1');
        expect(p.spec).toEqual(t.spec);
        expect(parsePlatform(p).ok).toBe(true);
        const ns = objs.find((o) => o.kind === 'Namespace' && o.metadata.name === t.namespace);
        expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      }
      expect(objs.filter((o) => o.kind === 'Namespace')).toHaveLength(tenants.length);
    }
  });

  it('puts a tenant’s Role and RoleBinding beside it when the operator watches listed namespaces', () => {
    expect(out.production['10-platforms.yaml']?.some((o) => o.kind === 'Role')).toBe(false);
    const objs = synthesized(namespacedConfig()).production;
    for (const ns of ['acme', 'globex']) {
      const role = objs['10-platforms.yaml']?.find((o) => o.kind === 'Role' && o.metadata.namespace === ns);
      expect(role?.rules).toEqual(NAMESPACED_RULES);
    }
    const clusterRoles = objs['00-operator.yaml']?.filter((o) => o.kind === 'ClusterRole');
    expect(clusterRoles?.map((r) => [r.metadata.name, r.rules])).toEqual([['booking-operator-cluster', CLUSTER_SCOPED_RULES]]);
  });
});

describe('Argo CD', () => {
  it('orders the CRD and operator before the platforms', () => {
    for (const env of ENVIRONMENTS) {
      const apps = (out[env][ARGOCD_FILE] as K8sObject[]).filter((o) => o.kind === 'Application');
      const operatorApp = apps.find((a) => a.metadata.name === 'booking-operator') as K8sObject;
      const platformsApp = apps.find((a) => a.metadata.name === `booking-platforms-${env}`) as K8sObject;
      expect(operatorApp.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('-1');
      expect(platformsApp.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('1');
      expect(operatorApp.spec.source.directory.include).toBe('00-operator.yaml');
      expect(platformsApp.spec.source.directory.include).toBe('10-platforms.yaml');
      // the global order: (Application wave, object wave)
      const order = (app: K8sObject, o: K8sObject) => wave(app) * 1000 + wave(o);
      const operatorObjs = out[env]['00-operator.yaml'] as K8sObject[];
      const crd = operatorObjs.find((o) => o.kind === 'CustomResourceDefinition') as K8sObject;
      const deployment = operatorObjs.find((o) => o.kind === 'Deployment') as K8sObject;
      expect(Math.min(...operatorObjs.map(wave))).toBe(wave(crd));
      expect(wave(crd)).toBeLessThan(wave(deployment));
      for (const o of out[env]['10-platforms.yaml'] as K8sObject[]) {
        expect(order(platformsApp, o)).toBeGreaterThan(order(operatorApp, deployment));
        if (o.kind === 'BookingPlatform') {
          const ns = (out[env]['10-platforms.yaml'] as K8sObject[]).find((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace) as K8sObject;
          expect(wave(ns)).toBeLessThan(wave(o));
        }
      }
      const project = (out[env][ARGOCD_FILE] as K8sObject[]).find((o) => o.kind === 'AppProject') as K8sObject;
      expect(wave(project)).toBeLessThan(wave(operatorApp));
    }
  });

  it('syncs server-side, heals drift by itself in staging only, and ignores replicas and status', () => {
    for (const env of ENVIRONMENTS) {
      for (const app of (out[env][ARGOCD_FILE] as K8sObject[]).filter((o) => o.kind === 'Application')) {
        expect(app.metadata.namespace).toBe('argocd');
        expect(app.spec.project).toBe('booking');
        expect(app.spec.source).toMatchObject({ repoURL: CONFIG[env].argocd.repoURL, targetRevision: CONFIG[env].argocd.targetRevision, path: CONFIG[env].argocd.path });
        // platforms are pruned in the background, so the operator's finalizer runs before any cascade
        const background = app.metadata.name.startsWith('booking-platforms-') ? ['PrunePropagationPolicy=background'] : [];
        expect(app.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'CreateNamespace=false', ...background]);
        expect(app.spec.syncPolicy.automated).toEqual(env === 'staging' ? { prune: true, selfHeal: true } : { prune: true, selfHeal: false });
        expect(app.spec.ignoreDifferences).toEqual(expect.arrayContaining([
          { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
          { group: 'platform.booking.io', kind: 'BookingPlatform', jsonPointers: ['/status'] },
        ]));
      }
      expect(CONFIG[env].argocd.path).toBe(`cdk8s/dist/${env}`);
    }
  });

  it('validates against the Argo CD schemas (@kubernetes-models/argo-cd)', async () => {
    const models = await argoModels();
    for (const env of ENVIRONMENTS) {
      const objs = out[env][ARGOCD_FILE] as K8sObject[];
      expect(objs.map((o) => o.kind).sort()).toEqual(['AppProject', 'Application', 'Application']);
      for (const o of objs) {
        const Model = o.kind === 'Application' ? models.Application : models.AppProject;
        expect(() => new Model(o).validate(), `${env} ${o.kind} ${o.metadata.name}`).not.toThrow();
      }
      // the validator does reject a broken Application
      const broken = clone(objs.find((o) => o.kind === 'Application') as K8sObject);
      broken.spec.syncPolicy.automated.prune = 'yes';
      expect(() => new models.Application(broken).validate()).toThrow();
    }
  });

  it('patches argocd-cm with the BookingPlatform and Application health checks', () => {
    const lua = readFileSync(join(REPO_ROOT, 'cdk8s/argocd/health.lua'), 'utf8');
    for (const env of ENVIRONMENTS) {
      const [cm] = out[env][ARGOCD_CM_FILE] as K8sObject[];
      expect(cm?.kind).toBe('ConfigMap');
      expect(cm?.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
      expect(cm?.data[BOOKING_PLATFORM_HEALTH_KEY]).toBe(lua);
      expect(cm?.data[APPLICATION_HEALTH_KEY]).toContain('obj.status.health');
    }
  });
});

/** The production tenants' namespaces watched explicitly (namespaced RBAC). */
function namespacedConfig(): Config {
  const c = clone(CONFIG);
  c.production.operator.watchNamespaces = c.production.tenants.map((t) => t.namespace);
  c.staging.operator.watchNamespaces = c.staging.tenants.map((t) => t.namespace);
  return c;
}

/** An object without what differs by tool: Helm's and cdk8s's own labels, Argo CD annotations. */
function normalize(o: K8sObject | undefined): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      if ((k === 'labels' || k === 'annotations') && val && typeof val === 'object') {
        const kept = Object.fromEntries(Object.entries(val).filter(([l]) => !/^(helm\.sh\/chart|app\.kubernetes\.io\/managed-by|argocd\.argoproj\.io\/.*)$/.test(l)));
        if (Object.keys(kept).length) out[k] = kept;
      } else {
        out[k] = strip(val);
      }
    }
    return out;
  };
  return strip(o);
}

interface ArgoModel {
  new (data: unknown): { validate(): void };
}

/** @kubernetes-models/argo-cd, or a clear failure when it is not installed. */
async function argoModels(): Promise<{ Application: ArgoModel; AppProject: ArgoModel }> {
  const specifier = '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
  try {
    const mod = await import(specifier);
    return { Application: mod.Application, AppProject: mod.AppProject };
  } catch (err) {
    throw new Error(
      `The Argo CD objects are validated with @kubernetes-models/argo-cd, which is not installed. Install it: npm install --save-dev @kubernetes-models/argo-cd@^4.0.0\n(${(err as Error).message.split('\n')[0]})`,
      { cause: err },
    );
  }
}
