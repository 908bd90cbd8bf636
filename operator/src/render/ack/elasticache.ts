/** ElastiCache through ACK: a CacheSubnetGroup and a Redis/Valkey ReplicationGroup. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { awsName } from '../names.ts';
import { ACK, ACK_DELETION_POLICY, ackDeletionPolicy, ackObject, tagList } from './common.ts';

/** ElastiCache ids are at most 40 characters. */
export const cacheId = (p: BookingPlatform) => awsName(p, 'cache', 40);

export function elasticache(chart: Chart, p: BookingPlatform): void {
  const c = p.spec.cache;
  const aws = p.spec.aws;
  if (!c || !aws) return;
  const annotations = { [ACK_DELETION_POLICY]: ackDeletionPolicy(c.deletionPolicy) };
  ackObject(chart, p, {
    apiVersion: ACK.elasticache,
    kind: 'CacheSubnetGroup',
    name: cacheId(p),
    component: 'cache',
    annotations,
    spec: {
      cacheSubnetGroupName: cacheId(p),
      cacheSubnetGroupDescription: `BookingPlatform ${p.metadata.namespace}/${p.metadata.name}`,
      subnetIDs: [...aws.subnetIds],
      tags: tagList(p),
    },
  });
  const failover = c.replicas > 0;
  ackObject(chart, p, {
    apiVersion: ACK.elasticache,
    kind: 'ReplicationGroup',
    name: cacheId(p),
    component: 'cache',
    annotations,
    spec: {
      replicationGroupID: cacheId(p),
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
      cacheSubnetGroupName: cacheId(p),
      securityGroupIDs: [...aws.securityGroupIds],
      snapshotRetentionLimit: 1,
      tags: tagList(p),
    },
  });
}
