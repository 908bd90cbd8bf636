/**
 * AWS identity is unique and ownership is checked (issue 9): platforms whose old names collided
 * (`team-a/shop` and `team/a-shop` were both `bkp-team-a-shop-*`), and one platform in two
 * clusters, get disjoint identifiers; a resource under our identifier that is not tagged as this
 * platform's is never modified, tagged, mounted or adopted; an access point create whose answer
 * was lost leaves exactly one.
 */
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, ListTagsForResourceCommand as ListRdsTags } from '@aws-sdk/client-rds';
import { CreateFileSystemCommand, DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetsCommand } from '@aws-sdk/client-efs';
import { CreateReplicationGroupCommand, DescribeReplicationGroupsCommand, ListTagsForResourceCommand as ListCacheTags } from '@aws-sdk/client-elasticache';
import { CreateBucketCommand, GetBucketTaggingCommand, GetBucketVersioningCommand, GetPublicAccessBlockCommand, PutBucketTaggingCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import type { AwsClients } from '../../src/aws/clients.ts';
import { wantedServices, type DataObservation } from '../../src/data/types.ts';
import { fileSystemName, accessPointName } from '../../src/render/ack/efs.ts';
import { cacheId } from '../../src/render/ack/elasticache.ts';
import { dbIdentifier, dbSubnetGroupName } from '../../src/render/ack/rds.ts';
import { uploadsBucketName } from '../../src/render/ack/s3.ts';
import type { RenderContext } from '../../src/render/names.ts';
import { set, withCache, withDatabase, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { converge, CTX, flakyProxy, PASSWORD, provider, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

let moto: Moto;
let aws: AwsClients;
let net: Network;

useMoto((env) => ({ moto, aws, net } = env));

/** A platform `namespace/name` of the sdk provisioner in the moto network. */
const named = (namespace: string, name: string, ...mods: Parameters<typeof sdkPlatform>[2][]): BookingPlatform => {
  const p = sdkPlatform(name, net, set('environment', 'dev'), ...mods);
  return { ...p, metadata: { ...p.metadata, namespace } };
};
const all = [withDatabase({ multiAZ: false }), withCache({ replicas: 0 }), withWhatsapp(), withUploads()];

/** Every AWS identifier the platform has in a cluster. */
const identifiers = (p: BookingPlatform, ctx: RenderContext) => [
  dbIdentifier(p, ctx),
  dbSubnetGroupName(p, ctx),
  cacheId(p, ctx),
  fileSystemName(p, ctx),
  accessPointName(p, ctx),
  uploadsBucketName(p, ctx),
];

const instance = async (id: string) => (await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
const rdsTags = async (id: string) => (await aws.rds.send(new ListRdsTags({ ResourceName: (await instance(id)).DBInstanceArn }))).TagList;
const fileSystem = async (token: string) => (await aws.efs.send(new DescribeFileSystemsCommand({ CreationToken: token }))).FileSystems![0]!;
const bucketTags = async (Bucket: string) => (await aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet;

/** The tags another platform's resources carry. */
const FOREIGN = [
  { Key: 'booking.io/platform', Value: 'team-a/shop' },
  { Key: 'booking.io/cluster', Value: 'other' },
];

function expectNotOwned(o: DataObservation, service: 'database' | 'cache' | 'fileSystem' | 'uploads', kind: string, id: string) {
  expect(o[service]).toMatchObject({ ready: false, terminal: true, reason: 'NotOwned' });
  expect(o[service]!.message).toContain(`${kind} ${id}`);
  expect(o[service]!.message).toContain('booking.io/cluster=other, booking.io/platform=team-a/shop');
  expect(o.requeueAfterMs).toBeUndefined();
}

describe('identifiers are injective', () => {
  it('team-a/shop and team/a-shop get disjoint identifiers, and each reaches available without touching the other’s resources', async () => {
    const a = named('team-a', 'shop', ...all);
    const b = named('team', 'a-shop', ...all);
    expect(identifiers(a, CTX).filter((id) => identifiers(b, CTX).includes(id))).toEqual([]);

    const { o: first } = await converge(provider(moto.endpoint), a);
    const aTags = await rdsTags(dbIdentifier(a, CTX));
    const aInstance = await instance(dbIdentifier(a, CTX));
    const { o: second } = await converge(provider(moto.endpoint), b);
    for (const s of wantedServices(a)) {
      expect(first[s]!.ready).toBe(true);
      expect(second[s]!.ready).toBe(true);
    }
    expect(second.database!.connection!.host).not.toBe(first.database!.connection!.host);
    expect(second.cache!.url).not.toBe(first.cache!.url);
    expect(second.fileSystem!.fileSystemId).not.toBe(first.fileSystem!.fileSystemId);
    expect(second.fileSystem!.accessPointId).not.toBe(first.fileSystem!.accessPointId);
    expect(second.uploads!.bucket).not.toBe(first.uploads!.bucket);

    // a's resources are as a left them, still tagged as a's
    expect(await rdsTags(dbIdentifier(a, CTX))).toEqual(aTags);
    expect(await instance(dbIdentifier(a, CTX))).toMatchObject({ DBInstanceClass: aInstance.DBInstanceClass, MultiAZ: aInstance.MultiAZ });
    expect(await bucketTags(uploadsBucketName(a, CTX))).toContainEqual({ Key: 'booking.io/platform', Value: 'team-a/shop' });
    expect((await fileSystem(fileSystemName(a, CTX))).Tags).toContainEqual({ Key: 'booking.io/platform', Value: 'team-a/shop' });
  });

  it('the same namespace/name in two clusters of one account gets disjoint identifiers; both reach available', async () => {
    const p = named('shared', 'shop', ...all);
    const east = { clusterName: 'east' };
    const west = { clusterName: 'west' };
    expect(identifiers(p, east).filter((id) => identifiers(p, west).includes(id))).toEqual([]);
    const { o: e } = await converge(provider(moto.endpoint, { clusterName: 'east' }), p);
    const { o: w } = await converge(provider(moto.endpoint, { clusterName: 'west' }), p);
    expect(w.database!.connection!.host).not.toBe(e.database!.connection!.host);
    expect(w.fileSystem!.accessPointId).not.toBe(e.fileSystem!.accessPointId);
    expect(await rdsTags(dbIdentifier(p, east))).toContainEqual({ Key: 'booking.io/cluster', Value: 'east' });
    expect(await rdsTags(dbIdentifier(p, west))).toContainEqual({ Key: 'booking.io/cluster', Value: 'west' });
  });

  it('without a cluster identity the sdk provider is terminal for every service and creates nothing', async () => {
    const p = named('nocluster', 'shop', ...all);
    const o = await provider(moto.endpoint, { clusterName: undefined }).observe(p, PASSWORD);
    for (const s of wantedServices(p)) expect(o[s]).toMatchObject({ ready: false, terminal: true, reason: 'NoClusterName' });
    expect(o.requeueAfterMs).toBeUndefined();
    const ids = ((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier!);
    expect(ids.filter((id) => id.startsWith('bkp-nocluster-'))).toEqual([]);
  });
});

describe('a resource under our identifier that is not this platform’s is left alone (NotOwned)', () => {
  it('RDS: a foreign DB instance with another class and Multi-AZ is neither modified nor re-tagged', async () => {
    const p = named('own', 'rds', withDatabase({ instanceClass: 'db.t3.micro', multiAZ: false }));
    const id = dbIdentifier(p, CTX);
    await aws.rds.send(
      new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t3.large', MultiAZ: true, AllocatedStorage: 20, MasterUsername: 'x', MasterUserPassword: 'other-password', Tags: FOREIGN }),
    );
    for (let pass = 0; pass < 2; pass++) expectNotOwned(await provider(moto.endpoint).observe(p, PASSWORD), 'database', 'DBInstance', id);
    expect(await instance(id)).toMatchObject({ DBInstanceClass: 'db.t3.large', MultiAZ: true });
    expect(await rdsTags(id)).toEqual(FOREIGN);
  });

  it('RDS: an instance of an earlier build (platform tag, no cluster tag) is not adopted', async () => {
    const p = named('own', 'legacy', withDatabase());
    const id = dbIdentifier(p, CTX);
    const legacy = [{ Key: 'booking.io/platform', Value: 'own/legacy' }];
    await aws.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'postgres', DBInstanceClass: 'db.t3.large', AllocatedStorage: 20, MasterUsername: 'x', MasterUserPassword: 'other-password', Tags: legacy }));
    const o = await provider(moto.endpoint).observe(p, PASSWORD);
    expect(o.database).toMatchObject({ reason: 'NotOwned', terminal: true });
    expect(o.database!.message).toContain('booking.io/cluster=(none), booking.io/platform=own/legacy');
    expect(await rdsTags(id)).toEqual(legacy);
  });

  it('ElastiCache: a foreign replication group with another node type is not modified', async () => {
    const p = named('own', 'redis', withCache({ replicas: 0 }));
    const id = cacheId(p, CTX);
    await aws.elasticache.send(
      new CreateReplicationGroupCommand({ ReplicationGroupId: id, ReplicationGroupDescription: 'someone else', Engine: 'redis', CacheNodeType: 'cache.t4g.small', NumNodeGroups: 1, ReplicasPerNodeGroup: 0, Tags: FOREIGN }),
    );
    expectNotOwned(await provider(moto.endpoint).observe(p, PASSWORD), 'cache', 'ReplicationGroup', id);
    const rg = (await aws.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0]!;
    expect(rg.CacheNodeType).toBe('cache.t4g.small');
    expect((await aws.elasticache.send(new ListCacheTags({ ResourceName: rg.ARN }))).TagList).toEqual(FOREIGN);
  });

  it('EFS: a foreign file system under our creation token gets no mount target and no access point', async () => {
    const p = named('own', 'efs', withWhatsapp());
    const token = fileSystemName(p, CTX);
    const fsId = (await aws.efs.send(new CreateFileSystemCommand({ CreationToken: token, Tags: FOREIGN }))).FileSystemId!;
    const o = await provider(moto.endpoint).observe(p, PASSWORD);
    expectNotOwned(o, 'fileSystem', 'FileSystem', token);
    expect(o.fileSystem).not.toHaveProperty('fileSystemId');
    expect((await aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fsId }))).MountTargets).toEqual([]);
    expect((await aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fsId }))).AccessPoints).toEqual([]);
    expect((await fileSystem(token)).Tags).toEqual(FOREIGN);
  });

  it('S3: a foreign bucket under our name is neither re-tagged nor reconfigured', async () => {
    const p = named('own', 'uploads', withUploads());
    const Bucket = uploadsBucketName(p, CTX);
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
    await aws.s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: FOREIGN } }));
    expectNotOwned(await provider(moto.endpoint).observe(p, PASSWORD), 'uploads', 'Bucket', Bucket);
    expect(await bucketTags(Bucket)).toEqual(FOREIGN);
    await expect(aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }))).rejects.toMatchObject({ name: 'NoSuchPublicAccessBlockConfiguration' });
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
  });
});

describe('idempotency by lookup', () => {
  it('an access point create whose answer was lost is found again by its tags: exactly one', async () => {
    const p = named('own', 'aplost', withWhatsapp());
    // the file system first; the next pass (through the proxy) creates the access point
    expect((await provider(moto.endpoint).observe(p, PASSWORD)).fileSystem).toMatchObject({ reason: 'Creating' });
    const proxy = await flakyProxy(moto.endpoint, (action, n) => (action.startsWith('POST /2015-02-01/access-points') && n === 0 ? 'lose-response' : 'forward'));
    try {
      const behind = provider(proxy.endpoint, { maxAttempts: 3 });
      const { o } = await converge(behind, p);
      expect(o.fileSystem!.ready).toBe(true);
      const fsId = (await fileSystem(fileSystemName(p, CTX))).FileSystemId!;
      const aps = (await aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fsId }))).AccessPoints!;
      expect(aps.map((a) => a.AccessPointId)).toEqual([o.fileSystem!.accessPointId]);
      expect(proxy.seen.filter((a) => a.startsWith('POST /2015-02-01/access-points'))).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});
