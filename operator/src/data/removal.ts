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
import { ACK } from '../render/ack/common.ts';
import { policyOf, sectionOf, type Policy } from './ledger.ts';
import type { ServiceName } from './types.ts';

export function policyFor(p: BookingPlatform, service: ServiceName): Policy {
  return policyOf(sectionOf(p, service));
}

/** The AWS resource that holds a service's data, as its ACK object and its AWS kind name it. */
export function primaryResource(p: BookingPlatform, ctx: RenderContext, service: ServiceName): { apiVersion: string; kind: string; name: string } {
  switch (service) {
    case 'database':
      return { apiVersion: ACK.rds, kind: isAurora(p.spec.database!) ? 'DBCluster' : 'DBInstance', name: dbIdentifier(p, ctx) };
    case 'cache':
      return { apiVersion: ACK.elasticache, kind: 'ReplicationGroup', name: cacheId(p, ctx) };
    case 'fileSystem':
      return { apiVersion: ACK.efs, kind: 'FileSystem', name: fileSystemName(p, ctx) };
    case 'uploads':
      return { apiVersion: ACK.s3, kind: 'Bucket', name: uploadsBucketName(p, ctx) };
  }
}

/** The resource a policy leaves behind, or undefined when nothing stays. */
export function leftBehind(p: BookingPlatform, ctx: RenderContext, service: ServiceName, policy: Policy, finalSnapshot?: string): string | undefined {
  const db = p.spec.database;
  if (policy === 'Snapshot' && service === 'database' && db) return `${isAurora(db) ? 'DBClusterSnapshot' : 'DBSnapshot'} ${finalSnapshot}`;
  if (policy !== 'Retain') return undefined;
  const r = primaryResource(p, ctx, service);
  return `${r.kind} ${r.name}`;
}
