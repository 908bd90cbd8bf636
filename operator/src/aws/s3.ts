/**
 * The uploads bucket through the SDK, as the ACK renderer (render/ack/s3.ts): private (public
 * access blocked, owner-enforced ownership), encrypted (SSE-S3, bucket key), versioned, tagged.
 * Each setting is read and put only when it differs.
 *
 * Deletion (policy Delete) never removes user data: a bucket with object versions is reported
 * and waited on; only delete markers (not data) are cleared before the bucket is deleted.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import type { BookingPlatform } from '../api/types.generated.ts';
import { ready, type ServiceState } from '../data/types.ts';
import { uploadsBucketName } from '../render/ack/s3.ts';
import { CLUSTER_TAG, notOwned, ownedBy, PLATFORM_TAG, tagList, type AwsContext, type Step, lost } from './context.ts';
import { AwsCallError, call, callOr, httpStatus } from './errors.ts';

export type UploadsState = ServiceState & { bucket?: string; region?: string };

const NO_BUCKET = ['NotFound', 'NoSuchBucket'];

/** Whether the bucket exists (and is ours to use: a 403 means another account's or no access). */
async function bucketExists(ctx: AwsContext, bucket: string): Promise<boolean> {
  try {
    await ctx.clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404) return false;
    throw new AwsCallError(`HeadBucket ${bucket}${status === 403 ? ' (403: the name belongs to another account, or the operator lacks s3:ListBucket)' : ''}`, err);
  }
}

export async function observeUploads(ctx: AwsContext, p: BookingPlatform, existed = false): Promise<UploadsState> {
  const bucket = uploadsBucketName(p, ctx.render);
  const region = p.spec.aws?.region ?? ctx.region;
  const s3 = ctx.clients.s3;
  let created = false;
  if (!(await bucketExists(ctx, bucket))) {
    if (existed) return lost('Bucket', bucket, 'uploads');
    ctx.log.info({ kind: 'Bucket', id: bucket, region }, 'creating AWS resource');
    const out = await callOr(
      `CreateBucket ${bucket}`,
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ObjectOwnership: 'BucketOwnerEnforced',
            ...(region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {}),
          }),
        ),
      ['BucketAlreadyOwnedByYou'],
      undefined,
    );
    created = out !== undefined;
  }

  // ownership first: nothing is read or put on a bucket that is not this platform's. One this
  // pass created has no tags yet (S3 tags only after the create); it gets ours right away
  const fixed: string[] = [];
  const tagging = await callOr(`GetBucketTagging ${bucket}`, () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), ['NoSuchTagSet', 'NoSuchTagSetError'], undefined);
  const have = tagging?.TagSet ?? [];
  const unclaimed = !have.some((t) => t.Key === PLATFORM_TAG || t.Key === CLUSTER_TAG);
  if (!ownedBy(ctx, p, have) && !(created && unclaimed)) return notOwned(ctx, p, 'Bucket', bucket, have);
  const want = tagList(ctx, p);
  if (!want.every((t) => have.some((h) => h.Key === t.Key && h.Value === t.Value))) {
    const merged = [...have.filter((h) => !want.some((t) => t.Key === h.Key)), ...want];
    await call(`PutBucketTagging ${bucket}`, () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: merged } })));
    fixed.push('tags');
  }
  const pab = await callOr(`GetPublicAccessBlock ${bucket}`, () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), ['NoSuchPublicAccessBlockConfiguration'], undefined);
  const c = pab?.PublicAccessBlockConfiguration;
  if (!(c?.BlockPublicAcls && c.BlockPublicPolicy && c.IgnorePublicAcls && c.RestrictPublicBuckets)) {
    await call(`PutPublicAccessBlock ${bucket}`, () =>
      s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } })),
    );
    fixed.push('public access block');
  }
  const enc = await callOr(`GetBucketEncryption ${bucket}`, () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })), ['ServerSideEncryptionConfigurationNotFoundError'], undefined);
  if (enc?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm !== 'AES256') {
    await call(`PutBucketEncryption ${bucket}`, () =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
        }),
      ),
    );
    fixed.push('encryption');
  }
  const own = await callOr(`GetBucketOwnershipControls ${bucket}`, () => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })), ['OwnershipControlsNotFoundError'], undefined);
  if (own?.OwnershipControls?.Rules?.[0]?.ObjectOwnership !== 'BucketOwnerEnforced') {
    await call(`PutBucketOwnershipControls ${bucket}`, () =>
      s3.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } })),
    );
    fixed.push('ownership controls');
  }
  const ver = await call(`GetBucketVersioning ${bucket}`, () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })));
  if (ver.Status !== 'Enabled') {
    await call(`PutBucketVersioning ${bucket}`, () => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })));
    fixed.push('versioning');
  }
  if (fixed.length) ctx.log.info({ kind: 'Bucket', id: bucket, fields: fixed }, 'bucket settings applied');
  return { ...ready(`Bucket ${bucket} is private and encrypted`), bucket, region };
}

/** Uploads deletion policy: Retain (the default) or Delete, and Delete only of an empty bucket. */
export async function finalizeUploads(ctx: AwsContext, p: BookingPlatform): Promise<Step> {
  const bucket = uploadsBucketName(p, ctx.render);
  if (p.spec.uploads?.deletionPolicy !== 'Delete') return { done: true, message: `bucket ${bucket} retained (deletionPolicy Retain)` };
  const s3 = ctx.clients.s3;
  if (!(await bucketExists(ctx, bucket))) return { done: true, message: `Bucket ${bucket} deleted` };
  const tagging = await callOr(`GetBucketTagging ${bucket}`, () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), ['NoSuchTagSet', 'NoSuchTagSetError'], undefined);
  if (!ownedBy(ctx, p, tagging?.TagSet)) return { done: true, message: `Bucket ${bucket} is not tagged as this platform's: left alone` };

  const listed = await call(`ListObjectVersions ${bucket}`, () => s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 })));
  const versions = listed.Versions ?? [];
  if (versions.length) {
    const n = `${versions.length}${listed.IsTruncated ? '+' : ''}`;
    return {
      done: false,
      message: `Bucket ${bucket} is not empty (${n} object version(s)): deletionPolicy Delete never deletes uploaded data; empty the bucket (all versions) or set uploads.deletionPolicy to Retain`,
    };
  }
  const markers = (listed.DeleteMarkers ?? []).filter((m) => m.Key);
  if (markers.length) {
    // delete markers hold no data: clearing them is what lets an emptied versioned bucket go
    await call(`DeleteObjects ${bucket}`, () => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: markers.map((m) => ({ Key: m.Key!, VersionId: m.VersionId })), Quiet: true } })));
    if (listed.IsTruncated) return { done: false, message: `clearing delete markers in Bucket ${bucket}` };
  }
  ctx.log.info({ kind: 'Bucket', id: bucket }, 'deleting AWS resource');
  try {
    await callOr(`DeleteBucket ${bucket}`, () => s3.send(new DeleteBucketCommand({ Bucket: bucket })), NO_BUCKET, undefined);
  } catch (err) {
    if (err instanceof AwsCallError && (err.error as { name?: string })?.name === 'BucketNotEmpty') {
      return { done: false, message: `Bucket ${bucket} is not empty: deletionPolicy Delete never deletes uploaded data; empty the bucket or set uploads.deletionPolicy to Retain` };
    }
    throw err;
  }
  return { done: true, message: `Bucket ${bucket} deleted` };
}
