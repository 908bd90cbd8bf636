/**
 * AWS lifecycle statuses, classified once for both providers (`ack` reads them from ACK status,
 * `sdk` from describe calls).
 *
 * "Usable" is not "converged". A resource is *usable* when it exists, keeps its endpoint and will
 * serve again without anyone acting: workloads proceed and the connection Secret is written.
 * Routine AWS work — backups, maintenance, modifications, storage optimization, reboots,
 * failovers, engine upgrades — leaves a resource usable but *not converged*: the status says so,
 * the operator sends no Modify while AWS is busy, and it looks again until AWS is done. Brief
 * outages inside those windows (a reboot, a failover) are the application's to retry; holding
 * every rollout back for them would freeze the platform daily.
 *
 * Not usable: the resource is not there yet or is going away (creating, deleting), or is not
 * serving and will not by itself (stopped) — a wait that heals on its own or by a human's start.
 * Terminal: AWS says it failed and needs a human (failed, incompatible-*, storage-full, …).
 * A status this table does not know is treated as not usable, quoted verbatim: handing out a
 * connection to something in an unknown state is the worse mistake.
 *
 * Sources: RDS DB instance statuses (AmazonRDS/latest/UserGuide/accessing-monitoring.html),
 * Aurora DB cluster statuses (AuroraUserGuide/accessing-monitoring.html), ElastiCache
 * ReplicationGroup.Status, EFS LifeCycleState (file systems, access points, mount targets).
 */
import { notReady, ready, usableNotConverged, type ServiceState } from './types.ts';

export type LifecycleKind = 'DBInstance' | 'DBCluster' | 'ReplicationGroup' | 'FileSystem' | 'AccessPoint' | 'MountTarget' | 'Bucket';

export interface Lifecycle {
  /** Exists and serves (or will again by itself): workloads proceed. */
  usable: boolean;
  /** Usable and AWS is not working on it: drift may be corrected now. */
  converged: boolean;
  /** Will not heal without a human (or a spec change). */
  terminal: boolean;
  /** A Modify is accepted and useful in this state (available; storage-full, which a storage increase fixes). */
  modifiable: boolean;
  /** Condition reason when not usable. */
  reason: string;
}

// usable, AWS at work (RDS instances and Aurora clusters share most names)
const RDS_BUSY = new Set([
  'backing-up',
  'backtracking',
  'converting-to-vpc',
  'failing-over',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'promoting',
  'rebooting',
  'resetting-master-credentials',
  'storage-config-upgrade',
  'storage-initialization',
  'storage-optimization',
  'update-iam-db-auth',
  'upgrading',
]);
const RDS_TERMINAL = new Set(['failed', 'cloning-failed', 'migration-failed', 'insufficient-capacity', 'restore-error', 'storage-full']);
const CACHE_BUSY = new Set(['modifying', 'snapshotting', 'rebooting cluster nodes']);
const CACHE_TERMINAL = new Set(['create-failed', 'incompatible-network', 'restore-failed']);

const WAIT_REASON: Record<string, string> = {
  creating: 'Creating',
  migrating: 'Creating',
  deleting: 'Deleting',
  'delete-precheck': 'Deleting',
  deleted: 'Deleting',
  starting: 'Starting',
  stopping: 'Stopped',
  stopped: 'Stopped',
};

const AVAILABLE: Lifecycle = { usable: true, converged: true, terminal: false, modifiable: true, reason: 'Available' };
const BUSY: Lifecycle = { usable: true, converged: false, terminal: false, modifiable: false, reason: 'AvailableNotConverged' };
const FAILED: Lifecycle = { usable: false, converged: false, terminal: true, modifiable: false, reason: 'Failed' };
const wait = (reason: string): Lifecycle => ({ usable: false, converged: false, terminal: false, modifiable: false, reason });

/** What AWS's own status for a resource of `kind` means here (undefined: not reported yet). */
export function classifyLifecycle(kind: LifecycleKind, status: string | undefined): Lifecycle {
  if (status === undefined || status === '') return wait('Creating');
  if (status === 'available') return AVAILABLE;
  switch (kind) {
    case 'DBInstance':
    case 'DBCluster':
      if (RDS_BUSY.has(status) || status.startsWith('configuring-')) return BUSY;
      if (status === 'storage-full') return { ...FAILED, modifiable: true };
      if (RDS_TERMINAL.has(status) || status.startsWith('incompatible-') || status.startsWith('inaccessible-encryption-credentials')) return FAILED;
      break;
    case 'ReplicationGroup':
      if (CACHE_BUSY.has(status)) return BUSY;
      if (CACHE_TERMINAL.has(status)) return FAILED;
      break;
    case 'FileSystem':
    case 'AccessPoint':
    case 'MountTarget':
      if (status === 'updating') return BUSY;
      if (status === 'error') return FAILED;
      break;
    case 'Bucket':
      break;
  }
  return wait(WAIT_REASON[status] ?? 'NotAvailable');
}

/** The service state for one resource's AWS status, quoting it whenever it is not `available`. */
export function lifecycleState(kind: LifecycleKind, id: string, status: string | undefined): ServiceState {
  const l = classifyLifecycle(kind, status);
  const quoted = `AWS status "${status || 'not reported yet'}"`;
  if (l.converged) return ready(`${kind} ${id} is available`);
  if (l.usable) return usableNotConverged(`${kind} ${id} is usable; ${quoted}`);
  return notReady(l.reason, `${kind} ${id}: ${quoted}`, l.terminal);
}

/**
 * One service made of several resources, once the ones it needs are usable: `converged` when
 * every part is, else usable but not converged, quoting each part still at work (or not usable).
 */
export function combine(parts: ServiceState[], converged: ServiceState): ServiceState {
  const pending = parts.filter((s) => !s.ready || s.converged === false);
  if (!pending.length) return converged;
  const state = usableNotConverged(pending.map((s) => s.message).join('; '));
  // only what a human must fix is left: no point looking again every pass
  return pending.every((s) => s.terminal) ? { ...state, terminal: true } : state;
}
