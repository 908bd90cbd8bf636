/**
 * What a deletion policy means for one service, provider-neutral: which policy applies and what
 * stays in AWS once it is carried out (a retained resource, a final snapshot), so status and Events
 * can say so whether ACK or the SDK did the work.
 */
import { isAurora } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { fileSystemName } from '../render/ack/efs.ts';
import { cacheId } from '../render/ack/elasticache.ts';
import { dbIdentifier } from '../render/ack/rds.ts';
import { uploadsBucketName } from '../render/ack/s3.ts';
import type { RenderContext } from '../render/names.ts';
import type { Policy } from './ledger.ts';
import type { ServiceName } from './types.ts';

export function policyFor(p: BookingPlatform, service: ServiceName): Policy {
  const section = (p.spec as unknown as Record<string, { deletionPolicy?: Policy } | undefined>)[service];
  return section?.deletionPolicy ?? 'Retain';
}

/** The resource a policy leaves behind, or undefined when nothing stays. */
export function leftBehind(p: BookingPlatform, ctx: RenderContext, service: ServiceName, policy: Policy, finalSnapshot?: string): string | undefined {
  const db = p.spec.database;
  if (policy === 'Snapshot' && service === 'database' && db) return `${isAurora(db) ? 'DBClusterSnapshot' : 'DBSnapshot'} ${finalSnapshot}`;
  if (policy !== 'Retain') return undefined;
  switch (service) {
    case 'database':
      return `${db && isAurora(db) ? 'DBCluster' : 'DBInstance'} ${dbIdentifier(p, ctx)}`;
    case 'cache':
      return `ReplicationGroup ${cacheId(p, ctx)}`;
    case 'fileSystem':
      return `FileSystem ${fileSystemName(p, ctx)}`;
    case 'uploads':
      return `Bucket ${uploadsBucketName(p, ctx)}`;
  }
}
