/** The kinds the operator owns and watches (label-scoped to what it manages). */
import { ACK } from '../render/ack/common.ts';

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  clusterScoped?: boolean;
  /** Only watched when the apiserver serves it (ACK kinds). */
  optional?: boolean;
}

export const OWNED_KINDS: WatchedKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'PersistentVolume', clusterScoped: true },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  ...(['DBSubnetGroup', 'DBInstance', 'DBCluster'] as const).map((kind) => ({ apiVersion: ACK.rds, kind, optional: true })),
  ...(['CacheSubnetGroup', 'ReplicationGroup'] as const).map((kind) => ({ apiVersion: ACK.elasticache, kind, optional: true })),
  ...(['FileSystem', 'MountTarget', 'AccessPoint'] as const).map((kind) => ({ apiVersion: ACK.efs, kind, optional: true })),
  { apiVersion: ACK.s3, kind: 'Bucket', optional: true },
];
