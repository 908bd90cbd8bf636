import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../../test/fixtures/objects.ts';
import { platform, set, withCache, withDatabase, withProvisioner, withUploads, withWhatsapp } from '../../../test/fixtures/platform.ts';
import { renderPlatform } from '../index.ts';
import { awsName, type RenderContext } from '../names.ts';

/** The cluster identity these renders run with. */
const CTX: RenderContext = { clusterName: 'prod' };
const render = (...args: Parameters<typeof renderPlatform>) => renderPlatform(args[0], args[1] ?? {}, args[2] ?? CTX);
/** AWS identifier of the fixture platform acme/acme in CTX. */
const id = (suffix: string, max = 63) => awsName(platform('acme'), CTX, suffix, max);

const ACK_KINDS = ['DBSubnetGroup', 'DBInstance', 'DBCluster', 'CacheSubnetGroup', 'ReplicationGroup', 'FileSystem', 'MountTarget', 'AccessPoint', 'Bucket'];

describe('RDS', () => {
  it('PostgreSQL: a Multi-AZ DBInstance in its subnet group, the password only as a Secret reference', () => {
    const objects = render(platform('acme', withDatabase({ instanceClass: 'db.t3.micro' })));
    const sg = find(objects, 'DBSubnetGroup', id('db'));
    expect(sg.apiVersion).toBe('rds.services.k8s.aws/v1alpha1');
    expect(sg.spec).toMatchObject({ name: id('db'), subnetIDs: ['subnet-a1', 'subnet-b2'] });
    const db = find(objects, 'DBInstance', id('db'));
    expect(db.spec).toMatchObject({
      dbInstanceIdentifier: id('db'),
      engine: 'postgres',
      engineVersion: '16',
      dbInstanceClass: 'db.t3.micro',
      allocatedStorage: 20,
      multiAZ: true,
      backupRetentionPeriod: 7,
      dbName: 'booking',
      dbSubnetGroupName: id('db'),
      vpcSecurityGroupIDs: ['sg-01'],
      storageEncrypted: true,
      publiclyAccessible: false,
      deletionProtection: true,
      masterUsername: 'booking',
      masterUserPassword: { namespace: 'acme', name: 'acme-db-master', key: 'password' },
    });
    expect(db.spec.tags).toContainEqual({ key: 'booking.io/environment', value: 'production' });
    expect(ofKind(objects, 'DBCluster')).toEqual([]);
  });

  it('MySQL 8 with storage autoscaling', () => {
    const db = find(render(platform('acme', withDatabase({ engine: 'mysql', version: '8.0', maxStorageGiB: 100 }))), 'DBInstance', id('db'));
    expect(db.spec).toMatchObject({ engine: 'mysql', engineVersion: '8.0', maxAllocatedStorage: 100 });
  });

  it('Aurora Serverless v2: a DBCluster with the ACU range and db.serverless instances', () => {
    const objects = render(platform('acme', withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 2 } })));
    const cluster = find(objects, 'DBCluster', id('db'));
    expect(cluster.spec).toMatchObject({
      dbClusterIdentifier: id('db'),
      engine: 'aurora-postgresql',
      databaseName: 'booking',
      serverlessV2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 2 },
      masterUserPassword: { name: 'acme-db-master', key: 'password' },
    });
    const instances = ofKind(objects, 'DBInstance');
    expect(instances.map((i) => [i.metadata.name, i.spec.dbClusterIdentifier, i.spec.dbInstanceClass])).toEqual([
      [id('db-0'), id('db'), 'db.serverless'],
      [id('db-1'), id('db'), 'db.serverless'],
    ]);
  });

  it.each([
    ['Snapshot', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'false', 'rds.services.k8s.aws/final-db-snapshot-identifier': id('db-final', 255) }],
    ['Retain', { 'services.k8s.aws/deletion-policy': 'retain', 'rds.services.k8s.aws/skip-final-snapshot': 'false' }],
    ['Delete', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' }],
  ])('deletionPolicy %s maps onto the ACK annotations (a final snapshot unless Delete)', (policy, annotations) => {
    const db = find(render(platform('acme', withDatabase({ deletionPolicy: policy }))), 'DBInstance', id('db'));
    expect(db.metadata.annotations).toEqual(annotations);
  });

  it('deletion protection is on in production and follows the field elsewhere', () => {
    const staging = find(render(platform('acme', set('environment', 'staging'), withDatabase())), 'DBInstance', id('db'));
    expect(staging.spec.deletionProtection).toBe(false);
    const forced = find(render(platform('acme', set('environment', 'staging'), withDatabase({ deletionProtection: true }))), 'DBInstance', id('db'));
    expect(forced.spec.deletionProtection).toBe(true);
  });
});

describe('ElastiCache', () => {
  it('a replication group with failover across AZs and TLS', () => {
    const objects = render(platform('acme', withCache()));
    expect(find(objects, 'CacheSubnetGroup', id('cache', 40)).spec.subnetIDs).toEqual(['subnet-a1', 'subnet-b2']);
    const rg = find(objects, 'ReplicationGroup', id('cache', 40));
    expect(rg.spec).toMatchObject({
      replicationGroupID: id('cache', 40),
      engine: 'redis',
      cacheNodeType: 'cache.t4g.micro',
      replicasPerNodeGroup: 1,
      automaticFailoverEnabled: true,
      multiAZEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      securityGroupIDs: ['sg-01'],
    });
  });

  it('ids fit ElastiCache’s 40 characters', () => {
    const long = render(platform('a-very-long-platform-name-here', withCache()));
    const rg = ofKind(long, 'ReplicationGroup')[0];
    expect(rg.spec.replicationGroupID.length).toBeLessThanOrEqual(40);
    expect(rg.spec.replicationGroupID).toMatch(/^bkp-[a-z0-9-]+-[0-9a-f]{10}-cache$/);
  });
});

describe('EFS', () => {
  it('a file system, a mount target per subnet, and an access point owned by the container user', () => {
    const objects = render(platform('acme', withWhatsapp()));
    expect(find(objects, 'FileSystem', id('efs')).spec).toMatchObject({ encrypted: true, performanceMode: 'generalPurpose', throughputMode: 'elastic' });
    const mts = ofKind(objects, 'MountTarget');
    expect(mts.map((m) => m.spec.subnetID)).toEqual(['subnet-a1', 'subnet-b2']);
    expect(mts[0].spec).toMatchObject({ fileSystemRef: { from: { name: id('efs') } }, securityGroups: ['sg-01'] });
    const ap = find(objects, 'AccessPoint', id('whatsapp-auth'));
    expect(ap.spec).toMatchObject({ posixUser: { uid: 1000, gid: 1000 }, rootDirectory: { path: '/whatsapp-auth', creationInfo: { ownerUID: 1000, ownerGID: 1000, permissions: '0700' } } });
    expect(ap.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
  });
});

describe('S3 uploads', () => {
  it('a private, encrypted bucket that outlives the platform by default', () => {
    const b = find(render(platform('acme', set('aws.accountId', '123456789012'), withUploads())), 'Bucket', id('uploads-123456789012'));
    expect(b.spec).toMatchObject({
      name: id('uploads-123456789012'),
      publicAccessBlock: { blockPublicACLs: true, blockPublicPolicy: true, ignorePublicACLs: true, restrictPublicBuckets: true },
      encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(b.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
  });
});

describe('identity', () => {
  it('the same platform in two clusters renders disjoint AWS identifiers, each tagged with its cluster', () => {
    const p = platform('acme', withDatabase(), withCache(), withWhatsapp(), withUploads());
    const awsIds = (o: ReturnType<typeof renderPlatform>) =>
      o.filter((x) => ACK_KINDS.includes(x.kind)).flatMap((x: any) => [x.metadata.name, x.spec.dbInstanceIdentifier, x.spec.replicationGroupID, x.spec.name].filter(Boolean));
    const east = render(p, {}, { clusterName: 'east' });
    const west = render(p, {}, { clusterName: 'west' });
    expect(awsIds(east).filter((n) => awsIds(west).includes(n))).toEqual([]);
    for (const o of east.filter((x) => ACK_KINDS.includes(x.kind) && x.kind !== 'MountTarget')) {
      const tags = (o.spec as any).tags ?? (o.spec as any).tagging.tagSet;
      expect(tags).toEqual(expect.arrayContaining([{ key: 'booking.io/cluster', value: 'east' }, { key: 'booking.io/platform', value: 'acme/acme' }]));
    }
  });
});

describe('provisioners', () => {
  const all = [withDatabase(), withCache(), withWhatsapp(), withUploads()];
  it.each(['sdk', 'external'] as const)('%s renders no ACK resources', (prov) => {
    const mods = prov === 'external'
      ? [withProvisioner('external'), withDatabase({ external: { secretRef: { name: 'db' } } }), withCache({ external: { secretRef: { name: 'r' } } }), withWhatsapp(), withUploads({ bucketName: 'my-bucket' })]
      : [withProvisioner('sdk'), ...all];
    const kinds = render(platform('acme', ...mods)).map((o) => o.kind);
    expect(kinds.filter((k) => ACK_KINDS.includes(k))).toEqual([]);
  });
});
