import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../../test/fixtures/objects.ts';
import { platform, set, withCache, withDatabase, withProvisioner, withUploads, withWhatsapp } from '../../../test/fixtures/platform.ts';
import { renderPlatform } from '../index.ts';

const ACK_KINDS = ['DBSubnetGroup', 'DBInstance', 'DBCluster', 'CacheSubnetGroup', 'ReplicationGroup', 'FileSystem', 'MountTarget', 'AccessPoint', 'Bucket'];

describe('RDS', () => {
  it('PostgreSQL: a Multi-AZ DBInstance in its subnet group, the password only as a Secret reference', () => {
    const objects = renderPlatform(platform('acme', withDatabase({ instanceClass: 'db.t3.micro' })));
    const sg = find(objects, 'DBSubnetGroup', 'bkp-acme-acme-db');
    expect(sg.apiVersion).toBe('rds.services.k8s.aws/v1alpha1');
    expect(sg.spec).toMatchObject({ name: 'bkp-acme-acme-db', subnetIDs: ['subnet-a1', 'subnet-b2'] });
    const db = find(objects, 'DBInstance', 'bkp-acme-acme-db');
    expect(db.spec).toMatchObject({
      dbInstanceIdentifier: 'bkp-acme-acme-db',
      engine: 'postgres',
      engineVersion: '16',
      dbInstanceClass: 'db.t3.micro',
      allocatedStorage: 20,
      multiAZ: true,
      backupRetentionPeriod: 7,
      dbName: 'booking',
      dbSubnetGroupName: 'bkp-acme-acme-db',
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
    const db = find(renderPlatform(platform('acme', withDatabase({ engine: 'mysql', version: '8.0', maxStorageGiB: 100 }))), 'DBInstance', 'bkp-acme-acme-db');
    expect(db.spec).toMatchObject({ engine: 'mysql', engineVersion: '8.0', maxAllocatedStorage: 100 });
  });

  it('Aurora Serverless v2: a DBCluster with the ACU range and db.serverless instances', () => {
    const objects = renderPlatform(platform('acme', withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 2 } })));
    const cluster = find(objects, 'DBCluster', 'bkp-acme-acme-db');
    expect(cluster.spec).toMatchObject({
      dbClusterIdentifier: 'bkp-acme-acme-db',
      engine: 'aurora-postgresql',
      databaseName: 'booking',
      serverlessV2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 2 },
      masterUserPassword: { name: 'acme-db-master', key: 'password' },
    });
    const instances = ofKind(objects, 'DBInstance');
    expect(instances.map((i) => [i.metadata.name, i.spec.dbClusterIdentifier, i.spec.dbInstanceClass])).toEqual([
      ['bkp-acme-acme-db-0', 'bkp-acme-acme-db', 'db.serverless'],
      ['bkp-acme-acme-db-1', 'bkp-acme-acme-db', 'db.serverless'],
    ]);
  });

  it.each([
    ['Snapshot', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'false', 'rds.services.k8s.aws/final-db-snapshot-identifier': 'bkp-acme-acme-db-final' }],
    ['Retain', { 'services.k8s.aws/deletion-policy': 'retain', 'rds.services.k8s.aws/skip-final-snapshot': 'false' }],
    ['Delete', { 'services.k8s.aws/deletion-policy': 'delete', 'rds.services.k8s.aws/skip-final-snapshot': 'true' }],
  ])('deletionPolicy %s maps onto the ACK annotations (a final snapshot unless Delete)', (policy, annotations) => {
    const db = find(renderPlatform(platform('acme', withDatabase({ deletionPolicy: policy }))), 'DBInstance', 'bkp-acme-acme-db');
    expect(db.metadata.annotations).toEqual(annotations);
  });

  it('deletion protection is on in production and follows the field elsewhere', () => {
    const staging = find(renderPlatform(platform('acme', set('environment', 'staging'), withDatabase())), 'DBInstance', 'bkp-acme-acme-db');
    expect(staging.spec.deletionProtection).toBe(false);
    const forced = find(renderPlatform(platform('acme', set('environment', 'staging'), withDatabase({ deletionProtection: true }))), 'DBInstance', 'bkp-acme-acme-db');
    expect(forced.spec.deletionProtection).toBe(true);
  });
});

describe('ElastiCache', () => {
  it('a replication group with failover across AZs and TLS', () => {
    const objects = renderPlatform(platform('acme', withCache()));
    expect(find(objects, 'CacheSubnetGroup', 'bkp-acme-acme-cache').spec.subnetIDs).toEqual(['subnet-a1', 'subnet-b2']);
    const rg = find(objects, 'ReplicationGroup', 'bkp-acme-acme-cache');
    expect(rg.spec).toMatchObject({
      replicationGroupID: 'bkp-acme-acme-cache',
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
    const long = renderPlatform(platform('a-very-long-platform-name-here', withCache()));
    const rg = ofKind(long, 'ReplicationGroup')[0];
    expect(rg.spec.replicationGroupID.length).toBeLessThanOrEqual(40);
    expect(rg.spec.replicationGroupID).toMatch(/^bkp-[a-z0-9-]+-[0-9a-f]{8}$/);
  });
});

describe('EFS', () => {
  it('a file system, a mount target per subnet, and an access point owned by the container user', () => {
    const objects = renderPlatform(platform('acme', withWhatsapp()));
    expect(find(objects, 'FileSystem', 'bkp-acme-acme-efs').spec).toMatchObject({ encrypted: true, performanceMode: 'generalPurpose', throughputMode: 'elastic' });
    const mts = ofKind(objects, 'MountTarget');
    expect(mts.map((m) => m.spec.subnetID)).toEqual(['subnet-a1', 'subnet-b2']);
    expect(mts[0].spec).toMatchObject({ fileSystemRef: { from: { name: 'bkp-acme-acme-efs' } }, securityGroups: ['sg-01'] });
    const ap = find(objects, 'AccessPoint', 'bkp-acme-acme-whatsapp-auth');
    expect(ap.spec).toMatchObject({ posixUser: { uid: 1000, gid: 1000 }, rootDirectory: { path: '/whatsapp-auth', creationInfo: { ownerUID: 1000, ownerGID: 1000, permissions: '0700' } } });
    expect(ap.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
  });
});

describe('S3 uploads', () => {
  it('a private, encrypted bucket that outlives the platform by default', () => {
    const b = find(renderPlatform(platform('acme', set('aws.accountId', '123456789012'), withUploads())), 'Bucket', 'bkp-acme-acme-uploads-123456789012');
    expect(b.spec).toMatchObject({
      name: 'bkp-acme-acme-uploads-123456789012',
      publicAccessBlock: { blockPublicACLs: true, blockPublicPolicy: true, ignorePublicACLs: true, restrictPublicBuckets: true },
      encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(b.metadata.annotations['services.k8s.aws/deletion-policy']).toBe('retain');
  });
});

describe('provisioners', () => {
  const all = [withDatabase(), withCache(), withWhatsapp(), withUploads()];
  it.each(['sdk', 'external'] as const)('%s renders no ACK resources', (prov) => {
    const mods = prov === 'external'
      ? [withProvisioner('external'), withDatabase({ external: { secretRef: { name: 'db' } } }), withCache({ external: { secretRef: { name: 'r' } } }), withWhatsapp(), withUploads({ bucketName: 'my-bucket' })]
      : [withProvisioner('sdk'), ...all];
    const kinds = renderPlatform(platform('acme', ...mods)).map((o) => o.kind);
    expect(kinds.filter((k) => ACK_KINDS.includes(k))).toEqual([]);
  });
});
