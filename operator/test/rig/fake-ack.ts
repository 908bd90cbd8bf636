/**
 * Plays the ACK controllers in tests: writes ACK-shaped status (ACK.ResourceSynced, the service's
 * lifecycle status, endpoints, ids) on the ACK objects the operator created, or a Terminal
 * condition. The shapes are the real controllers' status fields.
 */
import { kubectl, kubectlOk } from './kubectl.ts';
import type { RigInfo } from './global-setup.ts';

type Rig = Pick<RigInfo, 'bin' | 'kubeconfig'>;

const synced = (status: 'True' | 'False' = 'True') => ({ type: 'ACK.ResourceSynced', status, lastTransitionTime: '2026-01-01T00:00:00Z', message: status === 'True' ? 'Resource synced successfully' : 'Resource not synced' });
const meta = (arn: string) => ({ arn, ownerAccountID: '123456789012', region: 'us-east-1' });

/** The status a healthy, available resource of each kind reports. */
export function availableStatus(kind: string, name: string): Record<string, unknown> {
  switch (kind) {
    case 'DBInstance':
      return { ackResourceMetadata: meta(`arn:aws:rds:us-east-1:123456789012:db:${name}`), dbInstanceStatus: 'available', endpoint: { address: `${name}.abc.us-east-1.rds.amazonaws.com`, port: 5432 }, conditions: [synced()] };
    case 'DBCluster':
      return { ackResourceMetadata: meta(`arn:aws:rds:us-east-1:123456789012:cluster:${name}`), status: 'available', endpoint: `${name}.cluster-abc.us-east-1.rds.amazonaws.com`, conditions: [synced()] };
    case 'ReplicationGroup':
      return { ackResourceMetadata: meta(`arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${name}`), status: 'available', nodeGroups: [{ nodeGroupID: '0001', primaryEndpoint: { address: `master.${name}.abc.use1.cache.amazonaws.com`, port: 6379 } }], conditions: [synced()] };
    case 'FileSystem':
      return { ackResourceMetadata: meta(`arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0`), fileSystemID: 'fs-0123456789abcdef0', lifeCycleState: 'available', conditions: [synced()] };
    case 'AccessPoint':
      return { ackResourceMetadata: meta(`arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0`), accessPointID: 'fsap-0123456789abcdef0', lifeCycleState: 'available', conditions: [synced()] };
    case 'MountTarget':
      return { ackResourceMetadata: meta(`arn:aws:elasticfilesystem:us-east-1:123456789012:mount-target/${name}`), mountTargetID: `fsmt-${name.length}`, lifeCycleState: 'available', conditions: [synced()] };
    case 'Role':
      return { ackResourceMetadata: meta(`arn:aws:iam::123456789012:role/${name}`), roleID: `AROA${name.length}EXAMPLE`, conditions: [synced()] };
    default:
      return { ackResourceMetadata: meta(`arn:aws:${kind.toLowerCase()}:::${name}`), conditions: [synced()] };
  }
}

const PLURALS: Record<string, string> = {
  DBInstance: 'dbinstances.rds.services.k8s.aws',
  DBCluster: 'dbclusters.rds.services.k8s.aws',
  DBSubnetGroup: 'dbsubnetgroups.rds.services.k8s.aws',
  ReplicationGroup: 'replicationgroups.elasticache.services.k8s.aws',
  CacheSubnetGroup: 'cachesubnetgroups.elasticache.services.k8s.aws',
  FileSystem: 'filesystems.efs.services.k8s.aws',
  MountTarget: 'mounttargets.efs.services.k8s.aws',
  AccessPoint: 'accesspoints.efs.services.k8s.aws',
  Bucket: 'buckets.s3.services.k8s.aws',
  Role: 'roles.iam.services.k8s.aws',
};

export function setStatus(rig: Rig, namespace: string, kind: string, name: string, status: Record<string, unknown>): void {
  kubectlOk(rig, ['patch', PLURALS[kind]!, name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

/**
 * Marks every ACK object in the namespace available (as the real controllers would, eventually).
 * Tests call it on every poll of a wait: one `kubectl get` of every kind, and a patch only for an
 * object whose status is not that already (the patch would change nothing).
 */
export function makeAllAvailable(rig: Rig, namespace: string): number {
  let n = 0;
  for (const item of ackObjects(rig, namespace)) {
    const want = availableStatus(item.kind, item.metadata.name);
    if (!alreadyHas(item.status, want)) setStatus(rig, namespace, item.kind, item.metadata.name, want);
    n++;
  }
  return n;
}

/** The namespace's ACK objects of every kind; kind by kind when the apiserver does not serve them all (late-kinds.test.ts). */
function ackObjects(rig: Rig, namespace: string): any[] {
  const all = kubectl(rig, ['get', Object.values(PLURALS).join(','), '-n', namespace, '-o', 'json']);
  if (all.code === 0) return JSON.parse(all.stdout).items;
  return Object.values(PLURALS).flatMap((plural) => {
    const r = kubectl(rig, ['get', plural, '-n', namespace, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout).items : [];
  });
}

/** A JSON merge patch of `want` onto `have` would change nothing: objects compared key by key, anything else (arrays too) whole. */
function alreadyHas(have: unknown, want: unknown): boolean {
  if (isObject(want)) return isObject(have) && Object.entries(want).every(([k, v]) => alreadyHas(have[k], v));
  return sameJson(have, want);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b) && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => sameJson(a[k], v));
  return a === b;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function terminal(rig: Rig, namespace: string, kind: string, name: string, message: string): void {
  setStatus(rig, namespace, kind, name, {
    conditions: [synced('False'), { type: 'ACK.Terminal', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', message }],
  });
}
