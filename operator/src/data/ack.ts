/**
 * The `ack` provider: the ACK resources are ordinary desired objects (rendered and applied by the
 * reconciler); this reads their status from the informer caches.
 *
 * "Usable" is strict: ACK.ResourceSynced alone is not enough (ACK marks some failed states
 * synced). No ACK.Terminal, the service's own status `available`, endpoint and port present.
 * A Terminal condition is quoted verbatim.
 */
import { isAurora, isPostgres } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { ACK } from '../render/ack/common.ts';
import { accessPointName, fileSystemName } from '../render/ack/efs.ts';
import { cacheId } from '../render/ack/elasticache.ts';
import { auroraInstanceIds, dbIdentifier } from '../render/ack/rds.ts';
import { uploadsBucketName } from '../render/ack/s3.ts';
import { redisUrl } from './connection.ts';
import { notReady, ready, type DataObservation, type DataServices, type FinalizeResult, type ServiceState } from './types.ts';

/** Reads an ACK object from the cache (undefined: not created yet). */
export type AckLookup = (apiVersion: string, kind: string, namespace: string, name: string) => { spec?: any; status?: any } | undefined;

export class AckDataServices implements DataServices {
  private readonly lookup: AckLookup;
  constructor(lookup: AckLookup) {
    this.lookup = lookup;
  }

  async observe(p: BookingPlatform, masterPassword: string | undefined): Promise<DataObservation> {
    const ns = p.metadata.namespace ?? 'default';
    const get = (apiVersion: string, kind: string, name: string) => this.lookup(apiVersion, kind, ns, name);
    const o: DataObservation = {};
    const db = p.spec.database;
    if (db) {
      const defaultPort = isPostgres(db) ? 5432 : 3306;
      if (isAurora(db)) {
        const cluster = get(ACK.rds, 'DBCluster', dbIdentifier(p));
        const clusterState = ackState('DBCluster', dbIdentifier(p), cluster, cluster?.status?.status);
        const instanceStates = auroraInstanceIds(p).map((id) => {
          const i = get(ACK.rds, 'DBInstance', id);
          return ackState('DBInstance', id, i, i?.status?.dbInstanceStatus);
        });
        const blocked = [clusterState, ...instanceStates].find((s) => !s.ready);
        const host = cluster?.status?.endpoint as string | undefined;
        o.database = blocked ?? (host ? ready(`DBCluster ${dbIdentifier(p)} is available`) : notReady('EndpointPending', `DBCluster ${dbIdentifier(p)} has no endpoint yet`));
        if (o.database.ready && host) o.database.connection = { engine: db.engine, host, port: (cluster?.spec?.port as number | undefined) ?? defaultPort, name: db.name, user: db.username, password: masterPassword ?? '' };
      } else {
        const inst = get(ACK.rds, 'DBInstance', dbIdentifier(p));
        const state = ackState('DBInstance', dbIdentifier(p), inst, inst?.status?.dbInstanceStatus);
        const ep = inst?.status?.endpoint as { address?: string; port?: number } | undefined;
        o.database = !state.ready ? state : ep?.address && ep.port ? state : notReady('EndpointPending', `DBInstance ${dbIdentifier(p)} has no endpoint yet`);
        if (o.database.ready && ep?.address) o.database.connection = { engine: db.engine, host: ep.address, port: ep.port ?? defaultPort, name: db.name, user: db.username, password: masterPassword ?? '' };
      }
      if (o.database.ready && !masterPassword) o.database = notReady('PasswordPending', `the master password Secret is not there yet`);
    }
    if (p.spec.cache) {
      const rg = get(ACK.elasticache, 'ReplicationGroup', cacheId(p));
      const state = ackState('ReplicationGroup', cacheId(p), rg, rg?.status?.status);
      const ep = (rg?.status?.nodeGroups?.[0]?.primaryEndpoint ?? rg?.status?.configurationEndpoint) as { address?: string; port?: number } | undefined;
      o.cache = !state.ready ? state : ep?.address ? state : notReady('EndpointPending', `ReplicationGroup ${cacheId(p)} has no primary endpoint yet`);
      if (o.cache.ready && ep?.address) o.cache.url = redisUrl(ep.address, ep.port ?? 6379, p.spec.cache.transitEncryption);
    }
    if (p.spec.whatsapp?.enabled) {
      const fs = get(ACK.efs, 'FileSystem', fileSystemName(p));
      const ap = get(ACK.efs, 'AccessPoint', accessPointName(p));
      const fsState = ackState('FileSystem', fileSystemName(p), fs, fs?.status?.lifeCycleState);
      const apState = ackState('AccessPoint', accessPointName(p), ap, ap?.status?.lifeCycleState);
      const fileSystemId = fs?.status?.fileSystemID as string | undefined;
      const accessPointId = ap?.status?.accessPointID as string | undefined;
      const blocked = [fsState, apState].find((s) => !s.ready);
      o.fileSystem = blocked ?? (fileSystemId && accessPointId ? ready(`FileSystem ${fileSystemId} and AccessPoint ${accessPointId} are available`) : notReady('IdPending', 'EFS ids not reported yet'));
      if (o.fileSystem.ready) Object.assign(o.fileSystem, { fileSystemId, accessPointId });
    }
    if (p.spec.uploads?.enabled) {
      const name = uploadsBucketName(p);
      const b = get(ACK.s3, 'Bucket', name);
      // a Bucket has no lifecycle status of its own: synced without Terminal is usable
      o.uploads = ackState('Bucket', name, b, synced(b) ? 'available' : undefined);
      if (o.uploads.ready) Object.assign(o.uploads, { bucket: name, region: p.spec.aws?.region });
    }
    const waiting = [o.database, o.cache, o.fileSystem, o.uploads].some((s) => s && !s.ready && !s.terminal);
    if (waiting) o.requeueAfterMs = 15_000;
    return o;
  }

  /** ACK deletes cloud resources itself (per the deletion annotations); nothing extra to do here. */
  async finalize(): Promise<FinalizeResult> {
    return { done: true, message: 'ACK carries out the deletion policies' };
  }
}

function condition(obj: { status?: any } | undefined, type: string): { status?: string; message?: string; reason?: string } | undefined {
  return (obj?.status?.conditions as Array<{ type: string; status?: string; message?: string; reason?: string }> | undefined)?.find((c) => c.type === type);
}

function synced(obj: { status?: any } | undefined): boolean {
  return condition(obj, 'ACK.ResourceSynced')?.status === 'True';
}

/** The state of one ACK resource given its own lifecycle status field. */
export function ackState(kind: string, name: string, obj: { status?: any } | undefined, lifecycle: string | undefined): ServiceState {
  if (!obj) return notReady('Creating', `${kind} ${name} does not exist yet`);
  const terminal = condition(obj, 'ACK.Terminal');
  if (terminal?.status === 'True') return notReady('ACKTerminal', `${kind} ${name}: ${terminal.message ?? 'terminal error'}`, true);
  const recoverable = condition(obj, 'ACK.Recoverable');
  if (recoverable?.status === 'True') return notReady('ACKRecoverable', `${kind} ${name}: ${recoverable.message ?? 'recoverable error'}`);
  if (lifecycle !== 'available') return notReady('Creating', `${kind} ${name} is ${lifecycle ?? 'not reported yet'}`);
  return ready(`${kind} ${name} is available`);
}
