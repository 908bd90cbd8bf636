/** ElastiCache through ACK: a CacheSubnetGroup and a Redis/Valkey ReplicationGroup. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { awsName, DEFAULT_CONTEXT, type RenderContext } from '../names.ts';
import { ACK, ACK_DELETION_POLICY, ackDeletionPolicy, ackObject, tagList } from './common.ts';

/** Replication group ids are at most 40 characters (a letter first, no `--`, no trailing hyphen). */
export const cacheId = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'cache', 40);

export function elasticache(chart: Chart, p: BookingPlatform, ctx: RenderContext): void {
  const id = cacheId(p, ctx);
  const c = p.spec.cache;
  const aws = p.spec.aws;
  if (!c || !aws) return;
  const annotations = { [ACK_DELETION_POLICY]: ackDeletionPolicy(c.deletionPolicy) };
  ackObject(chart, p, {
    apiVersion: ACK.elasticache,
    kind: 'CacheSubnetGroup',
    name: id,
    component: 'cache',
    annotations,
    spec: {
      cacheSubnetGroupName: id,
      cacheSubnetGroupDescription: `BookingPlatform ${p.metadata.namespace}/${p.metadata.name}`,
      subnetIDs: [...aws.subnetIds],
      tags: tagList(p, ctx),
    },
  });
  const failover = c.replicas > 0;
  ackObject(chart, p, {
    apiVersion: ACK.elasticache,
    kind: 'ReplicationGroup',
    name: id,
    component: 'cache',
    annotations,
    spec: {
      replicationGroupID: id,
      description: `BookingPlatform ${p.metadata.namespace}/${p.metadata.name}`,
      engine: c.engine,
      engineVersion: c.version,
      cacheNodeType: c.nodeType,
      numNodeGroups: 1,
      replicasPerNodeGroup: c.replicas,
      automaticFailoverEnabled: failover,
      multiAZEnabled: failover,
      transitEncryptionEnabled: c.transitEncryption,
      atRestEncryptionEnabled: true,
      cacheSubnetGroupName: id,
      securityGroupIDs: [...aws.securityGroupIds],
      snapshotRetentionLimit: 1,
      tags: tagList(p, ctx),
    },
  });
}
