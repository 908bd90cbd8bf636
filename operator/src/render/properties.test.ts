/**
 * Property tests over generated platforms (test/fixtures/arbitrary.ts): every spec the CLI accepts
 * renders objects whose names the apiserver and AWS accept. The apiserver's half of the contract
 * (CLI and CRD accept and reject the same inputs) is test/integration/fuzz.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { objectMetaErrors } from '../api/metadata.ts';
import { cli, loadPlatforms } from '../cli/main.ts';
import { toYaml, validPlatform } from '../../test/fixtures/arbitrary.ts';
import { renderPlatform, type KubeObject } from './index.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** RDS and ElastiCache identifiers: a letter first, letters digits and hyphens, no `--`, no trailing `-`. */
const AWS_ID = /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_FORBIDDEN = (n: string) => n.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(n) || /^(xn--|sthree-|amzn-s3-demo-)/.test(n) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(n);

/** Every way the apiserver or AWS would refuse a rendered object's names; empty when none. */
function nameProblems(o: KubeObject): string[] {
  const problems = objectMetaErrors(o.metadata).map((e) => `${e.path}: ${e.message}`);
  const name = o.metadata.name;
  const spec = (o as { spec?: Record<string, any> }).spec ?? {};
  const check = (ok: boolean, what: string) => void (ok || problems.push(`${o.kind} ${name}: ${what}`));
  // built-in namespaced children are DNS-1123 labels (pod names, hostnames and label values carry
  // them); ACK objects only need the DNS-1123 subdomain objectMetaErrors checks
  if (o.metadata.namespace && !o.apiVersion.includes('.services.k8s.aws/')) check(DNS1123_LABEL.test(name) && name.length <= 63, 'not a DNS-1123 label of at most 63');
  if (o.kind === 'Service') check(DNS1035_LABEL.test(name), 'a Service name must be a DNS-1035 label');
  if (o.kind === 'CronJob') check(name.length <= 52, 'a CronJob name is at most 52 characters');
  if (o.kind === 'StatefulSet') check(name.length <= 52, 'a StatefulSet name is at most 52 (controller-revision-hash label)');
  if (o.kind === 'DBInstance') check(AWS_ID.test(spec.dbInstanceIdentifier) && spec.dbInstanceIdentifier.length <= 63, `RDS instance id ${spec.dbInstanceIdentifier}`);
  if (o.kind === 'DBCluster') check(AWS_ID.test(spec.dbClusterIdentifier) && spec.dbClusterIdentifier.length <= 63, `RDS cluster id ${spec.dbClusterIdentifier}`);
  if (o.kind === 'ReplicationGroup') check(AWS_ID.test(spec.replicationGroupID) && spec.replicationGroupID.length <= 40, `ElastiCache id ${spec.replicationGroupID}`);
  if (o.kind === 'DBSubnetGroup') check(AWS_ID.test(spec.name) && spec.name.length <= 255, `RDS subnet group ${spec.name}`);
  if (o.kind === 'CacheSubnetGroup') check(AWS_ID.test(spec.cacheSubnetGroupName) && spec.cacheSubnetGroupName.length <= 255, `cache subnet group ${spec.cacheSubnetGroupName}`);
  if (o.kind === 'Bucket') check(S3_BUCKET.test(spec.name) && !S3_FORBIDDEN(spec.name), `S3 bucket ${spec.name}`);
  return problems;
}

describe('every accepted spec renders valid names (fast-check)', () => {
  it('generated platforms are accepted by the CLI', () => {
    fc.assert(
      fc.property(validPlatform, (p) => {
        const loaded = loadPlatforms(toYaml(p));
        expect(loaded.ok ? [] : loaded.errors).toEqual([]);
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('every rendered object passes the apiserver name rules and AWS naming rules, in any cluster', () => {
    const cluster = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(validPlatform, cluster, (raw, clusterName) => {
        const loaded = loadPlatforms(toYaml(raw));
        if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
        const objects = renderPlatform(loaded.platforms[0]!, { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' }, { clusterName });
        expect(objects.flatMap(nameProblems)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it('the checks above can fail: a digit-first platform name makes an invalid Service name', () => {
    const objects = renderPlatform({ ...loadOk(), metadata: { name: '9shop', namespace: 'fz-a' } });
    expect(objects.flatMap(nameProblems)).toContainEqual(expect.stringContaining('Service 9shop-backend: a Service name must be a DNS-1035 label'));
  });
});

describe('platforms of one namespace whose children collide', () => {
  const doc = (name: string, services = '') => `apiVersion: platform.booking.io/v1alpha1\nkind: BookingPlatform\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  provisioner: external\n  networkPolicy: {enabled: false}\n  backend: {image: b:1}\n${services}`;

  it('validate refuses two platforms in one file that make the same object (shop + service api-backend vs shop-api)', () => {
    const r = cli(['validate', '-f', 'x'], () => `${doc('shop', '  services: [{name: api-backend, image: s:1, port: 80}]\n')}---\n${doc('shop-api')}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('x: metadata.name: platform shop-api and platform shop in namespace shop both make Deployment shop-api-backend');
  });

  it('accepts the same two platforms in different namespaces', () => {
    const r = cli(['validate', '-f', 'x'], () => `${doc('shop', '  services: [{name: api-backend, image: s:1, port: 80}]\n')}---\n${doc('shop-api').replace('namespace: shop', 'namespace: other')}`);
    expect(r).toMatchObject({ code: 0 });
  });
});

function loadOk() {
  const loaded = loadPlatforms(toYaml({ apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'shop', namespace: 'fz-a' }, spec: { provisioner: 'external', backend: { image: 'b:1' } } }));
  if (!loaded.ok) throw new Error('fixture');
  return loaded.platforms[0]!;
}
