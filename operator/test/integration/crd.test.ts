/**
 * The CRD and the renderers' output against a real apiserver: schema and CEL rules reject what
 * the CLI rejects, and every rendered object of every example passes server-side dry-run.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { INVALID_CASES } from '../fixtures/invalid.ts';
import { EXAMPLE_FILES, example, rawPlatform, withDatabase } from '../fixtures/platform.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { kubectl, kubectlOk, REPO } from '../rig/kubectl.ts';

const rig = inject('rig');
/** This file's own namespaces, apart from the other test files' live platforms. */
const NS = (ns: string) => `crd-${ns}`;
const namespaces = [...new Set([...EXAMPLE_FILES.map((f) => example(f).metadata.namespace!), 'test'])].map(NS);
/** An example moved into this file's namespace. */
const exampleHere = (file: string) => {
  const p = example(file);
  return { ...p, metadata: { ...p.metadata, namespace: NS(p.metadata.namespace!) } };
};

beforeAll(() => {
  for (const ns of namespaces) kubectl(rig, ['create', 'namespace', ns]);
});
afterAll(() => {
  for (const ns of namespaces) kubectl(rig, ['delete', 'bookingplatforms', '--all', '-n', ns, '--wait=false']);
});

describe('the CRD', () => {
  it('is installed with its short name and printer columns', () => {
    const crd = JSON.parse(kubectlOk(rig, ['get', 'crd', 'bookingplatforms.platform.booking.io', '-o', 'json']));
    expect(crd.spec.names.shortNames).toEqual(['bkp']);
    expect(crd.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c: any) => c.name)).toEqual(['Ready', 'Phase', 'API', 'Provisioner', 'Environment', 'Age']);
  });

  it.each(EXAMPLE_FILES)('accepts the example %s', (file) => {
    const docs = parseAllDocuments(readFileSync(`${REPO}/examples/${file}`, 'utf8')).map((d) => d.toJS()).filter((d) => d && d.kind !== 'Namespace');
    const moved = docs.map((d) => ({ ...d, metadata: { ...d.metadata, namespace: NS(d.metadata.namespace) } }));
    const r = kubectl(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: moved }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = exampleHere(file);
    const stored = JSON.parse(kubectlOk(rig, ['get', 'bkp', p.metadata.name, '-n', p.metadata.namespace!, '-o', 'json']));
    // the apiserver's defaulting and ours agree
    expect(stored.spec).toEqual(p.spec);
  });

  it.each(INVALID_CASES)('rejects $name, as the CLI does', ({ raw, path, message, apiserver }) => {
    const doc = { ...raw, metadata: { ...raw.metadata, namespace: NS('test') } };
    const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '-f', '-'], JSON.stringify(doc));
    expect(r.code).not.toBe(0);
    if (apiserver) return expect(r.stderr).toMatch(apiserver);
    expect(r.stderr).toMatch(message);
    if (path) expect(r.stderr).toContain(path);
  });

  it('rejects a change of an immutable field', () => {
    const create: Record<string, any> = { ...rawPlatform('immutable', withDatabase()), metadata: { name: 'immutable', namespace: NS('test') } };
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(create));
    const changed = structuredClone(create);
    changed.spec.database.engine = 'mysql';
    const r = kubectl(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(changed));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.database.engine');
    expect(r.stderr).toContain('database.engine is immutable');
    const fine = structuredClone(create);
    fine.spec.database.instanceClass = 'db.r6g.large';
    expect(kubectl(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(fine)).code).toBe(0);
  });
});

describe('rendered objects', () => {
  it.each(EXAMPLE_FILES)('%s: every object passes server-side dry-run apply', (file) => {
    const objects = renderPlatform(exampleHere(file), { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' });
    const r = kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--field-manager=booking-operator', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(objects.length);
  });
});

describe('the rig', () => {
  it('runs a rendered Deployment to availability on kwok nodes', () => {
    const ns = NS('acme');
    const objects = renderPlatform(exampleHere('production-postgres.yaml'));
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'acme-mcp-calendar')!;
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(deployment));
    kubectlOk(rig, ['rollout', 'status', 'deployment/acme-mcp-calendar', '-n', ns, '--timeout=60s']);
    const status = JSON.parse(kubectlOk(rig, ['get', 'deployment', 'acme-mcp-calendar', '-n', ns, '-o', 'json'])).status;
    expect(status.availableReplicas).toBe(1);
    const pods = JSON.parse(kubectlOk(rig, ['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/name=mcp-calendar', '-o', 'json'])).items;
    expect(pods[0].spec.nodeName).toMatch(/^kwok-node-/);
    kubectlOk(rig, ['delete', 'deployment', 'acme-mcp-calendar', '-n', ns]);
  });

  it('has the ACK kinds the renderers emit', () => {
    const crds = kubectlOk(rig, ['get', 'crd', '-o', 'name']);
    for (const kind of ['dbinstances.rds', 'dbclusters.rds', 'dbsubnetgroups.rds', 'replicationgroups.elasticache', 'cachesubnetgroups.elasticache', 'filesystems.efs', 'mounttargets.efs', 'accesspoints.efs', 'buckets.s3']) {
      expect(crds).toContain(`${kind}.services.k8s.aws`);
    }
  });
});
