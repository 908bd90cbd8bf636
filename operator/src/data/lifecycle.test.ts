import { describe, expect, it } from 'vitest';
import { classifyLifecycle, combine, lifecycleState, type LifecycleKind } from './lifecycle.ts';
import { notReady, ready } from './types.ts';

/** converged: usable and done; busy: usable, AWS still at work; wait: not usable, heals alone; terminal: needs a human. */
type Class = 'converged' | 'busy' | 'wait' | 'terminal';

// RDS DB instance statuses: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
const RDS_INSTANCE: Array<[string | undefined, Class]> = [
  ['available', 'converged'],
  ['backing-up', 'busy'],
  ['configuring-enhanced-monitoring', 'busy'],
  ['configuring-iam-database-auth', 'busy'],
  ['configuring-log-exports', 'busy'],
  ['converting-to-vpc', 'busy'],
  ['maintenance', 'busy'],
  ['modifying', 'busy'],
  ['moving-to-vpc', 'busy'],
  ['rebooting', 'busy'],
  ['resetting-master-credentials', 'busy'],
  ['storage-config-upgrade', 'busy'],
  ['storage-initialization', 'busy'],
  ['storage-optimization', 'busy'],
  ['upgrading', 'busy'],
  ['creating', 'wait'],
  ['delete-precheck', 'wait'],
  ['deleting', 'wait'],
  ['renaming', 'wait'],
  ['starting', 'wait'],
  ['stopped', 'wait'],
  ['stopping', 'wait'],
  [undefined, 'wait'],
  ['some-future-status', 'wait'],
  ['failed', 'terminal'],
  ['inaccessible-encryption-credentials', 'terminal'],
  ['inaccessible-encryption-credentials-recoverable', 'terminal'],
  ['incompatible-network', 'terminal'],
  ['incompatible-option-group', 'terminal'],
  ['incompatible-parameters', 'terminal'],
  ['incompatible-restore', 'terminal'],
  ['insufficient-capacity', 'terminal'],
  ['restore-error', 'terminal'],
  ['storage-full', 'terminal'],
];

// Aurora DB cluster statuses: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status
const RDS_CLUSTER: Array<[string | undefined, Class]> = [
  ['available', 'converged'],
  ['backing-up', 'busy'],
  ['backtracking', 'busy'],
  ['failing-over', 'busy'],
  ['maintenance', 'busy'],
  ['modifying', 'busy'],
  ['promoting', 'busy'],
  ['resetting-master-credentials', 'busy'],
  ['storage-optimization', 'busy'],
  ['update-iam-db-auth', 'busy'],
  ['upgrading', 'busy'],
  ['creating', 'wait'],
  ['deleting', 'wait'],
  ['migrating', 'wait'],
  ['renaming', 'wait'],
  ['starting', 'wait'],
  ['stopped', 'wait'],
  ['stopping', 'wait'],
  ['cloning-failed', 'terminal'],
  ['inaccessible-encryption-credentials', 'terminal'],
  ['inaccessible-encryption-credentials-recoverable', 'terminal'],
  ['migration-failed', 'terminal'],
];

// ReplicationGroup.Status: creating | available | modifying | deleting | create-failed | snapshotting
const REPLICATION_GROUP: Array<[string | undefined, Class]> = [
  ['available', 'converged'],
  ['modifying', 'busy'],
  ['snapshotting', 'busy'],
  ['rebooting cluster nodes', 'busy'],
  ['creating', 'wait'],
  ['deleting', 'wait'],
  [undefined, 'wait'],
  ['create-failed', 'terminal'],
  ['incompatible-network', 'terminal'],
  ['restore-failed', 'terminal'],
];

// EFS LifeCycleState (file systems, access points, mount targets): creating | available | updating | deleting | deleted | error
const EFS: Array<[string | undefined, Class]> = [
  ['available', 'converged'],
  ['updating', 'busy'],
  ['creating', 'wait'],
  ['deleting', 'wait'],
  ['deleted', 'wait'],
  [undefined, 'wait'],
  ['error', 'terminal'],
];

// a bucket has no lifecycle status: it exists (available) or not yet
const BUCKET: Array<[string | undefined, Class]> = [
  ['available', 'converged'],
  [undefined, 'wait'],
];

const rows: Array<[LifecycleKind, string | undefined, Class]> = [
  ...RDS_INSTANCE.map(([s, c]) => ['DBInstance', s, c] as [LifecycleKind, string | undefined, Class]),
  ...RDS_CLUSTER.map(([s, c]) => ['DBCluster', s, c] as [LifecycleKind, string | undefined, Class]),
  ...REPLICATION_GROUP.map(([s, c]) => ['ReplicationGroup', s, c] as [LifecycleKind, string | undefined, Class]),
  ...(['FileSystem', 'AccessPoint', 'MountTarget'] as const).flatMap((k) => EFS.map(([s, c]) => [k, s, c] as [LifecycleKind, string | undefined, Class])),
  ...BUCKET.map(([s, c]) => ['Bucket', s, c] as [LifecycleKind, string | undefined, Class]),
];

describe('lifecycleState', () => {
  it.each(rows)('%s %s is %s', (kind, status, want) => {
    const s = lifecycleState(kind, 'x', status);
    const quoted = `AWS status "${status ?? 'not reported yet'}"`;
    switch (want) {
      case 'converged':
        expect(s).toEqual({ ready: true, reason: 'Available', message: `${kind} x is available` });
        break;
      case 'busy':
        // usable: the endpoint stays and workloads proceed; the AWS status is quoted
        expect(s).toEqual({ ready: true, converged: false, reason: 'AvailableNotConverged', message: `${kind} x is usable; ${quoted}` });
        break;
      case 'wait':
        expect(s).toMatchObject({ ready: false, message: `${kind} x: ${quoted}` });
        expect(s.terminal).toBeUndefined();
        expect(s.reason).not.toBe('Failed');
        break;
      case 'terminal':
        expect(s).toMatchObject({ ready: false, terminal: true, reason: 'Failed', message: `${kind} x: ${quoted}` });
        break;
    }
  });

  it('names the wait: creating, deleting, stopped', () => {
    expect(lifecycleState('DBInstance', 'x', 'creating').reason).toBe('Creating');
    expect(lifecycleState('DBInstance', 'x', undefined).reason).toBe('Creating');
    expect(lifecycleState('DBInstance', 'x', 'deleting').reason).toBe('Deleting');
    expect(lifecycleState('DBInstance', 'x', 'stopped').reason).toBe('Stopped');
    expect(lifecycleState('DBInstance', 'x', 'starting').reason).toBe('Starting');
    expect(lifecycleState('DBInstance', 'x', 'some-future-status').reason).toBe('NotAvailable');
  });
});

describe('classifyLifecycle', () => {
  it('sends a Modify only where AWS takes it: available, and storage-full (a storage increase is its fix)', () => {
    expect(rows.filter(([k, st]) => classifyLifecycle(k, st).modifiable).map(([k, st]) => `${k} ${st}`)).toEqual([
      'DBInstance available',
      'DBInstance storage-full',
      'DBCluster available',
      'ReplicationGroup available',
      'FileSystem available',
      'AccessPoint available',
      'MountTarget available',
      'Bucket available',
    ]);
  });
});

describe('combine', () => {
  const busy = lifecycleState('DBCluster', 'c', 'backing-up');
  it('is converged when every part is, else quotes each part still at work', () => {
    expect(combine([ready('a'), ready('b')], ready('all'))).toEqual(ready('all'));
    expect(combine([busy, notReady('Creating', 'DBInstance c-1: AWS status "creating"')], ready('all'))).toEqual({
      ready: true,
      converged: false,
      reason: 'AvailableNotConverged',
      message: 'DBCluster c is usable; AWS status "backing-up"; DBInstance c-1: AWS status "creating"',
    });
  });
  it('is terminal only when all that is left needs a human (no point looking again every pass)', () => {
    expect(combine([busy, notReady('Failed', 'x', true)], ready('all')).terminal).toBeUndefined();
    expect(combine([ready('a'), notReady('Failed', 'x', true)], ready('all'))).toMatchObject({ ready: true, terminal: true });
  });
});
