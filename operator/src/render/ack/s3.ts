/** The uploads bucket through ACK: private, encrypted, public access blocked, owner-enforced. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { awsName, DEFAULT_CONTEXT, type RenderContext } from '../names.ts';
import { ACK, ACK_DELETION_POLICY, ackDeletionPolicy, ackObject, tagList } from './common.ts';

/** Bucket names are global: the account id (when given) keeps them unique across accounts. */
export function uploadsBucketName(p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT): string {
  const u = p.spec.uploads;
  if (u?.bucketName) return u.bucketName;
  const account = p.spec.aws?.accountId;
  return awsName(p, ctx, account ? `uploads-${account}` : 'uploads', 63);
}

export function s3(chart: Chart, p: BookingPlatform, ctx: RenderContext): void {
  const u = p.spec.uploads;
  if (!u?.enabled) return;
  const name = uploadsBucketName(p, ctx);
  ackObject(chart, p, {
    apiVersion: ACK.s3,
    kind: 'Bucket',
    name,
    component: 'uploads',
    annotations: { [ACK_DELETION_POLICY]: ackDeletionPolicy(u.deletionPolicy) },
    spec: {
      name,
      encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }] },
      publicAccessBlock: { blockPublicACLs: true, blockPublicPolicy: true, ignorePublicACLs: true, restrictPublicBuckets: true },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
      versioning: { status: 'Enabled' },
      tagging: { tagSet: tagList(p, ctx) },
    },
  });
}
