/**
 * What the renderers emit for ACK against the real ACK CRDs (rds-controller v1.10.0,
 * elasticache-controller v1.8.0, s3-controller v1.3.1, from their Go modules; EFS: the strict
 * hand-written fallback): every example's and every variant's ACK objects pass server-side apply
 * dry-run with strict field validation, so no field is unknown (rejected) or silently pruned.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { renderPlatform, type KubeObject } from '../../src/render/index.ts';
import { example, platform, set, withCache, withDatabase, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');
const NS = 'ack-crds';
const ACK_GROUP = /\.services\.k8s\.aws\//;

beforeAll(() => {
  kubectl(rig, ['create', 'namespace', NS]);
});
afterAll(() => {
  kubectl(rig, ['delete', 'namespace', NS, '--wait=false']);
});

const here = (p: BookingPlatform): BookingPlatform => ({ ...p, metadata: { ...p.metadata, namespace: NS } });
const ackObjects = (p: BookingPlatform): KubeObject[] => renderPlatform(here(p)).filter((o) => ACK_GROUP.test(o.apiVersion));

/** Server-side apply, dry run, strict: unknown or duplicate fields fail the request. */
function dryRunStrict(objects: KubeObject[]): { code: number; stderr: string; stdout: string } {
  return kubectl(rig, ['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=booking-operator', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

const all = [withCache(), withWhatsapp(), withUploads(), set('aws.accountId', '123456789012')];
const VARIANTS: Array<[string, BookingPlatform]> = [
  ['production-postgres.yaml', example('production-postgres.yaml')],
  ['aurora-serverless.yaml', example('aurora-serverless.yaml')],
  ['mysql-uploads.yaml', example('mysql-uploads.yaml')],
  ['postgres, every component, Snapshot', platform('v1', withDatabase({ deletionPolicy: 'Snapshot' }), ...all)],
  ['mysql, storage autoscaling, Delete, staging', platform('v2', withDatabase({ engine: 'mysql', version: '8.0', maxStorageGiB: 100, deletionPolicy: 'Delete' }), set('environment', 'staging'), ...all)],
  ['aurora provisioned, Retain', platform('v3', withDatabase({ engine: 'aurora-postgresql', version: '16.4', deletionPolicy: 'Retain' }), ...all)],
  ['aurora-mysql serverless, single AZ', platform('v4', withDatabase({ engine: 'aurora-mysql', version: '8.0', multiAZ: false, serverless: { minCapacity: 0.5, maxCapacity: 4 } }))],
  ['cache without replicas, uploads Delete', platform('v5', withCache({ replicas: 0, deletionPolicy: 'Delete' }), withUploads({ deletionPolicy: 'Delete' }))],
];

describe('rendered ACK objects against the real ACK CRDs', () => {
  it('the CRDs installed are the controllers’ own (not test fixtures), EFS excepted', () => {
    for (const crd of ['dbinstances.rds.services.k8s.aws', 'dbclusters.rds.services.k8s.aws', 'replicationgroups.elasticache.services.k8s.aws', 'buckets.s3.services.k8s.aws']) {
      const o = JSON.parse(kubectlOk(rig, ['get', 'crd', crd, '-o', 'json']));
      // controller-gen's stamp, and far more fields than any fixture would carry
      expect(o.metadata.annotations?.['controller-gen.kubebuilder.io/version'], crd).toBeTruthy();
      expect(Object.keys(o.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties).length, crd).toBeGreaterThan(5);
    }
  });

  it.each(VARIANTS)('%s: server-side dry-run with strict field validation accepts every ACK object', (_name, p) => {
    const objects = ackObjects(p);
    expect(objects.length).toBeGreaterThan(0);
    const r = dryRunStrict(objects);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // and nothing was pruned: what the apiserver would store has every field we sent
    const stored = JSON.parse(kubectlOk(rig, ['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager=booking-operator', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects })));
    const items: KubeObject[] = stored.kind === 'List' ? stored.items : [stored];
    for (const sent of objects) {
      const got = items.find((o) => o.kind === sent.kind && o.metadata.name === sent.metadata.name);
      expect(got?.spec, `${sent.kind} ${sent.metadata.name}`).toEqual(expect.objectContaining(sent.spec as object));
      expect(got?.spec).toEqual(sent.spec);
    }
  });

  it('strictness is real: an unknown field is refused by the real CRD and by the EFS fallback', () => {
    const p = platform('v6', withDatabase(), withWhatsapp());
    for (const kind of ['DBInstance', 'FileSystem']) {
      const o = ackObjects(p).find((x) => x.kind === kind)!;
      const r = dryRunStrict([{ ...o, spec: { ...(o.spec as object), notAField: true } } as KubeObject]);
      expect(r.code, kind).not.toBe(0);
      // kubectl checks against the CRD's published schema first, the apiserver (fieldValidation=Strict) after
      expect(r.stderr, kind).toMatch(/unknown field "(spec\.)?notAField"/);
    }
  });
});
