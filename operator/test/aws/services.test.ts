/** provisioner sdk, ElastiCache, EFS and S3, against a private moto_server. */
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetSecurityGroupsCommand, DescribeMountTargetsCommand } from '@aws-sdk/client-efs';
import { DescribeCacheSubnetGroupsCommand, DescribeReplicationGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-elasticache';
import {
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.ts';
import { set, withCache, withDatabase, withUploads, withWhatsapp } from '../fixtures/platform.ts';
import { awsId, converge, finalizeAll, PASSWORD, provider, sdkPlatform, useMoto, type Moto, type Network, finalizePass } from './moto.ts';

let moto: Moto;
let aws: AwsClients;
let net: Network;

useMoto((env) => ({ moto, aws, net } = env));

const replicationGroups = async (prefix: string) =>
  ((await aws.elasticache.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups ?? []).filter((g) => g.ReplicationGroupId!.startsWith(prefix));
const fileSystems = async (token: string) => (await aws.efs.send(new DescribeFileSystemsCommand({ CreationToken: token }))).FileSystems ?? [];
const buckets = async (prefix: string) => ((await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).filter((n) => n.startsWith(prefix));

describe('ElastiCache', () => {
  it('creates the subnet group and a replication group with the ACK renderer’s settings; the URL is rediss:// with TLS', async () => {
    const p = sdkPlatform('rc', net, withCache());
    const dp = provider(moto.endpoint);
    expect((await dp.observe(p, undefined)).cache).toMatchObject({ ready: false, reason: 'Creating' });
    const { o } = await converge(dp, p);
    const id = awsId('rc', 'cache', 40);
    const rg = (await replicationGroups(id))[0]!;
    expect(rg).toMatchObject({
      ReplicationGroupId: id,
      Description: 'BookingPlatform rc/rc',
      CacheNodeType: 'cache.t4g.micro',
      AutomaticFailover: 'enabled',
      MultiAZ: 'enabled',
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      SnapshotRetentionLimit: 1,
      Engine: 'redis',
    });
    expect(rg.NodeGroups![0]!.NodeGroupMembers).toHaveLength(2);
    expect(o.cache).toMatchObject({ ready: true, url: `rediss://${rg.NodeGroups![0]!.PrimaryEndpoint!.Address}:6379/0` });
    const sg = (await aws.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: id }))).CacheSubnetGroups![0]!;
    expect(sg.Subnets!.map((s) => s.SubnetIdentifier).sort()).toEqual([...net.subnetIds].sort());
    const tags = await aws.elasticache.send(new ListTagsForResourceCommand({ ResourceName: rg.ARN }));
    expect(tags.TagList).toEqual(expect.arrayContaining([{ Key: 'booking.io/platform', Value: 'rc/rc' }]));
  });

  it('redis:// without transit encryption; no replicas means no failover', async () => {
    const p = sdkPlatform('rcplain', net, withCache({ transitEncryption: false, replicas: 0 }));
    const { o } = await converge(provider(moto.endpoint), p);
    expect(o.cache!.url).toMatch(new RegExp(`^redis://master\\.${awsId('rcplain', 'cache', 40)}\\..*:6379/0$`));
    expect((await replicationGroups('bkp-rcplain-'))[0]).toMatchObject({ AutomaticFailover: 'disabled', TransitEncryptionEnabled: false });
  });

  it('node type drift: ModifyReplicationGroup, which moto answers with a bare 500, is a clear non-terminal state, not a crash', async () => {
    const p = sdkPlatform('rcdrift', net, withCache());
    const { o: before } = await converge(provider(moto.endpoint), p);
    const o = await provider(moto.endpoint).observe(sdkPlatform('rcdrift', net, withCache({ nodeType: 'cache.t4g.small' })), undefined);
    // a failed correction does not take the running group away from the workloads
    expect(o.cache).toEqual({
      ready: true,
      converged: false,
      reason: 'AvailableNotConverged',
      message:
        `ReplicationGroup ${awsId('rcdrift', 'cache', 40)} is usable; ModifyReplicationGroup ${awsId('rcdrift', 'cache', 40)}: HTTP 500: "the answer is not an AWS error document (the endpoint may not implement this call)" (unsupported by this endpoint; retrying later)`,
      url: before.cache!.url,
    });
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('is idempotent: fresh providers leave exactly one replication group', async () => {
    const p = sdkPlatform('rccrash', net, withCache());
    await provider(moto.endpoint).observe(p, undefined);
    await provider(moto.endpoint).observe(p, undefined);
    await converge(provider(moto.endpoint), p);
    expect((await replicationGroups('bkp-rccrash-')).map((g) => g.ReplicationGroupId)).toEqual([awsId('rccrash', 'cache', 40)]);
  });

  it('deletionPolicy Delete (default) asks for the deletion and waits while AWS reports "deleting"', async () => {
    const p = sdkPlatform('rcdel', net, withCache());
    await converge(provider(moto.endpoint), p);
    const dp = provider(moto.endpoint);
    expect(await finalizePass(dp, p)).toEqual({ done: false, message: `cache: waiting for ReplicationGroup ${awsId('rcdel', 'cache', 40)} to be deleted` });
    expect((await replicationGroups('bkp-rcdel-'))[0]!.Status).toBe('deleting');
    // moto never finishes deleting a replication group: the finalizer keeps waiting, as it must
    expect(await finalizePass(dp, p)).toEqual({ done: false, message: `cache: waiting for ReplicationGroup ${awsId('rcdel', 'cache', 40)} to be deleted (AWS status "deleting")` });
  });

  it('deletionPolicy Retain leaves the replication group', async () => {
    const p = sdkPlatform('rcret', net, withCache({ deletionPolicy: 'Retain' }));
    await converge(provider(moto.endpoint), p);
    expect(await finalizePass(provider(moto.endpoint), p)).toEqual({ done: true, message: 'cache: cache retained (deletionPolicy Retain)' });
    expect((await replicationGroups('bkp-rcret-'))[0]!.Status).toBe('available');
  });
});

describe('EFS', () => {
  it('creates the file system, a mount target per subnet with only the spec’s groups, and the access point owned by uid/gid 1000', async () => {
    const p = sdkPlatform('fs', net, withWhatsapp());
    const dp = provider(moto.endpoint);
    const { o, passes } = await converge(dp, p);
    expect(passes).toBeLessThanOrEqual(3);
    const [fs, ...more] = await fileSystems(awsId('fs', 'efs'));
    expect(more).toEqual([]);
    expect(fs).toMatchObject({ Encrypted: true, PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', LifeCycleState: 'available' });
    expect(fs!.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: awsId('fs', 'efs') }, { Key: 'booking.io/platform', Value: 'fs/fs' }]));
    const mts = (await aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fs!.FileSystemId }))).MountTargets!;
    expect(mts.map((m) => m.SubnetId).sort()).toEqual([...net.subnetIds].sort());
    for (const mt of mts) {
      expect((await aws.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId }))).SecurityGroups).toEqual(net.securityGroupIds);
    }
    const aps = (await aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fs!.FileSystemId }))).AccessPoints!;
    expect(aps).toHaveLength(1);
    expect(aps[0]).toMatchObject({
      ClientToken: awsId('fs', 'whatsapp-auth'),
      PosixUser: { Uid: 1000, Gid: 1000 },
      RootDirectory: { Path: '/whatsapp-auth', CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0700' } },
    });
    expect(o.fileSystem).toMatchObject({ ready: true, fileSystemId: fs!.FileSystemId, accessPointId: aps[0]!.AccessPointId });
  });

  it('is idempotent: fresh providers leave one file system, two mount targets and one access point', async () => {
    const p = sdkPlatform('fscrash', net, withWhatsapp());
    for (let i = 0; i < 3; i++) await provider(moto.endpoint).observe(p, undefined);
    await converge(provider(moto.endpoint), p);
    const fss = await fileSystems(awsId('fscrash', 'efs'));
    expect(fss).toHaveLength(1);
    expect((await aws.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fss[0]!.FileSystemId }))).MountTargets).toHaveLength(2);
    expect((await aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fss[0]!.FileSystemId }))).AccessPoints).toHaveLength(1);
  });

  it('delayed readiness of the file system is a requeue quoting AWS’s lifecycle state', async () => {
    const p = sdkPlatform('fsslow', net, withWhatsapp());
    await converge(provider(moto.endpoint), p);
    const o = await provider(moto.endpoint, { statusOverride: ({ kind, status }) => (kind === 'FileSystem' ? 'creating' : status) }).observe(p, undefined);
    expect(o.fileSystem).toMatchObject({ ready: false, reason: 'Creating', message: expect.stringMatching(/^FileSystem fs-[0-9a-f]+: AWS status "creating"$/) });
    expect(o.requeueAfterMs).toBe(15_000);
  });

  it('deletionPolicy Delete: access point and mount targets, then the file system', async () => {
    const p = sdkPlatform('fsdel', net, withWhatsapp(), set('fileSystem', { deletionPolicy: 'Delete' }));
    await converge(provider(moto.endpoint), p);
    const fsId = (await fileSystems(awsId('fsdel', 'efs')))[0]!.FileSystemId!;
    const { message } = await finalizeAll(provider(moto.endpoint), p);
    expect(message).toBe(`fileSystem: FileSystem ${fsId} deleted`);
    expect(await fileSystems(awsId('fsdel', 'efs'))).toEqual([]);
    const aps = (await aws.efs.send(new DescribeAccessPointsCommand({}))).AccessPoints ?? [];
    expect(aps.filter((a) => a.FileSystemId === fsId)).toEqual([]);
  });

  it('deletionPolicy Retain (default) leaves it all', async () => {
    const p = sdkPlatform('fsret', net, withWhatsapp());
    await converge(provider(moto.endpoint), p);
    expect(await finalizePass(provider(moto.endpoint), p)).toEqual({ done: true, message: 'fileSystem: file system retained (deletionPolicy Retain)' });
    expect(await fileSystems(awsId('fsret', 'efs'))).toHaveLength(1);
  });
});

describe('S3 uploads', () => {
  it('creates a private, encrypted, versioned, tagged bucket', async () => {
    const p = sdkPlatform('up', net, set('aws.accountId', '123456789012'), withUploads());
    const { o, passes } = await converge(provider(moto.endpoint), p);
    expect(passes).toBe(1);
    const Bucket = awsId('up', 'uploads-123456789012');
    expect(o.uploads).toMatchObject({ ready: true, bucket: Bucket, region: 'us-east-1' });
    expect((await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const enc = await aws.s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(enc.ServerSideEncryptionConfiguration!.Rules![0]).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true });
    expect((await aws.s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls!.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    expect((await aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'booking.io/platform', Value: 'up/up' }]));
  });

  it('puts back settings changed behind its back (public access block, encryption)', async () => {
    const p = sdkPlatform('updrift', net, withUploads());
    await converge(provider(moto.endpoint), p);
    const Bucket = awsId('updrift', 'uploads');
    await aws.s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: false, BlockPublicPolicy: false, IgnorePublicAcls: false, RestrictPublicBuckets: false } }));
    await aws.s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }));
    await converge(provider(moto.endpoint), p);
    expect((await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration!.BlockPublicPolicy).toBe(true);
    expect((await aws.s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration!.Rules![0]!.ApplyServerSideEncryptionByDefault!.SSEAlgorithm).toBe('AES256');
  });

  it('is idempotent: fresh providers leave exactly one bucket', async () => {
    const p = sdkPlatform('upcrash', net, withUploads());
    await provider(moto.endpoint).observe(p, undefined);
    await converge(provider(moto.endpoint), p);
    expect(await buckets('bkp-upcrash-')).toEqual([awsId('upcrash', 'uploads')]);
  });

  it('deletionPolicy Delete deletes an empty bucket', async () => {
    const p = sdkPlatform('updel', net, withUploads({ deletionPolicy: 'Delete' }));
    await converge(provider(moto.endpoint), p);
    expect(await finalizeAll(provider(moto.endpoint), p)).toMatchObject({ message: `uploads: Bucket ${awsId('updel', 'uploads')} deleted` });
    expect(await buckets('bkp-updel-')).toEqual([]);
  });

  it('deletionPolicy Delete never deletes uploaded data: a bucket with objects is reported and waited on', async () => {
    const p = sdkPlatform('upfull', net, withUploads({ deletionPolicy: 'Delete' }));
    await converge(provider(moto.endpoint), p);
    const Bucket = awsId('upfull', 'uploads');
    await aws.s3.send(new PutObjectCommand({ Bucket, Key: 'photo.jpg', Body: 'data' }));
    const r = await finalizePass(provider(moto.endpoint), p);
    expect(r).toEqual({
      done: false,
      message: `uploads: Bucket ${Bucket} is not empty (1 object version(s)): deletionPolicy Delete never deletes uploaded data; empty the bucket (all versions) or set uploads.deletionPolicy to Retain`,
    });
    await expect(aws.s3.send(new HeadBucketCommand({ Bucket }))).resolves.toBeDefined();
  });

  it('deletionPolicy Retain (default) leaves the bucket', async () => {
    const p = sdkPlatform('upret', net, withUploads());
    await converge(provider(moto.endpoint), p);
    expect(await finalizePass(provider(moto.endpoint), p)).toEqual({ done: true, message: `uploads: bucket ${awsId('upret', 'uploads')} retained (deletionPolicy Retain)` });
    expect(await buckets('bkp-upret-')).toEqual([awsId('upret', 'uploads')]);
  });
});

describe('all four services together', () => {
  it('converge in parallel; a second platform of fresh providers adds nothing; the whole platform is cleaned per policy', async () => {
    const mods = [withDatabase({ deletionPolicy: 'Delete' }), withCache({ deletionPolicy: 'Retain' }), withWhatsapp(), set('fileSystem', { deletionPolicy: 'Delete' }), withUploads({ deletionPolicy: 'Delete' })];
    const p = sdkPlatform('all', net, set('environment', 'staging'), ...mods);
    const { o } = await converge(provider(moto.endpoint), p, PASSWORD);
    expect([o.database?.ready, o.cache?.ready, o.fileSystem?.ready, o.uploads?.ready]).toEqual([true, true, true, true]);
    const again = await provider(moto.endpoint).observe(p, PASSWORD);
    expect(again.requeueAfterMs).toBeUndefined();
    const { message } = await finalizeAll(provider(moto.endpoint), p);
    expect(message).toContain('cache: cache retained');
    expect(message).toContain(`database: DBInstance ${awsId('all', 'db')} deleted`);
    expect(await fileSystems(awsId('all', 'efs'))).toEqual([]);
    expect(await buckets('bkp-all-')).toEqual([]);
  });
});
