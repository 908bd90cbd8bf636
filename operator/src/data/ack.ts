/**
 * The `ack` provider: the ACK resources are ordinary desired objects (rendered and applied by the
 * reconciler); this reads their status from the informer caches.
 *
 * "Usable" is strict: ACK.ResourceSynced alone is not enough (ACK marks some failed states
 * synced). No ACK.Terminal, the service's own status usable (data/lifecycle.ts), endpoint and port
 * present. A Terminal condition is quoted verbatim. Usable is not converged: a resource AWS is
 * backing up or modifying, or one with ACK.Recoverable / ResourceSynced=False, keeps its
 * connection (workloads proceed) and is reported not converged, looked at again until it is.
 *
 * Credentials mode `managed`: RDS keeps the master password in Secrets Manager; its ARN is in the
 * DBInstance's / DBCluster's `status.masterUserSecret.secretARN`, and the current value is read
 * through the injected reader on every observe (a rotation reaches the connection Secret).
 */
import { isAurora, isPostgres } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { ACK } from '../render/ack/common.ts';
import { accessPointName, fileSystemName } from '../render/ack/efs.ts';
import { cacheId } from '../render/ack/elasticache.ts';
import { auroraInstanceIds, dbIdentifier } from '../render/ack/rds.ts';
import { uploadsBucketName } from '../render/ack/s3.ts';
import { AckRemover, type AckWriter } from './ack-removal.ts';
import { DEFAULT_CONTEXT, type RenderContext } from '../render/names.ts';
import { rdsManagesPassword } from '../render/ack/rds.ts';
import { redisUrl, type MasterCredentials } from './connection.ts';
import { combine, lifecycleState, type LifecycleKind } from './lifecycle.ts';
import { lost } from './lost.ts';
import { primaryResource } from './removal.ts';
import { notReady, ready, settling, usableNotConverged, wantedServices, type DataObservation, type DataServices, type FinalizeResult, type ObserveOptions, type RemoveOptions, type ServiceName, type ServiceState } from './types.ts';

/** Reads an ACK object from the cache (undefined: not created yet). */
export type AckLookup = (apiVersion: string, kind: string, namespace: string, name: string) => { spec?: any; status?: any } | undefined;

/** Reading RDS's managed master secret: the credentials, or the database's state when that failed. */
export type MasterSecretRead = { credentials: MasterCredentials } | { state: ServiceState };
export type MasterSecretReader = (secretArn: string) => Promise<MasterSecretRead>;

/** The database reports no managed secret (yet): RDS creates it with the database; one created with a generated password never has one. */
export const masterSecretPending = (kind: string, id: string): ServiceState =>
  notReady(
    'MasterSecretPending',
    `${kind} ${id} reports no master user secret yet (credentials mode managed): RDS creates it with the database; a database created with a generated password has none until it is switched in AWS (docs/data-safety.md)`,
  );

const NO_AWS_ACCESS =
  'database.credentials.mode managed: the master password is in the Secrets Manager secret RDS manages, and this operator has no AWS access to read it; start it with AWS_REGION (and credentials, e.g. IRSA with secretsmanager:GetSecretValue on rds!* secrets)';

export class AckDataServices implements DataServices {
  private readonly lookup: AckLookup;
  private readonly remover?: AckRemover;
  /** The operator's cluster identity: part of every AWS identifier the ACK objects carry. */
  private readonly ctx: RenderContext;
  /** Credentials mode managed: reads RDS's secret (absent: the operator has no AWS access). */
  private readonly masterSecrets?: MasterSecretReader;
  constructor(lookup: AckLookup, writer?: AckWriter, ctx: RenderContext = DEFAULT_CONTEXT, masterSecrets?: MasterSecretReader, now?: () => Date) {
    this.lookup = lookup;
    this.ctx = ctx;
    this.remover = writer ? new AckRemover(writer, ctx, now) : undefined;
    this.masterSecrets = masterSecrets;
  }

  async observe(p: BookingPlatform, masterPassword: string | undefined, opts: ObserveOptions = {}): Promise<DataObservation> {
    const ns = p.metadata.namespace ?? 'default';
    const get = (apiVersion: string, kind: string, name: string) => this.lookup(apiVersion, kind, ns, name);
    const o: DataObservation = {};
    const db = p.spec.database;
    if (db) {
      const defaultPort = isPostgres(db) ? 5432 : 3306;
      /** The ACK object whose status names RDS's managed secret. */
      const primaryKind = isAurora(db) ? 'DBCluster' : 'DBInstance';
      const primary = get(ACK.rds, primaryKind, dbIdentifier(p, this.ctx));
      if (isAurora(db)) {
        const cluster = get(ACK.rds, 'DBCluster', dbIdentifier(p, this.ctx));
        const clusterState = ackState('DBCluster', dbIdentifier(p, this.ctx), cluster, cluster?.status?.status);
        const instanceStates = auroraInstanceIds(p, this.ctx).map((id) => {
          const i = get(ACK.rds, 'DBInstance', id);
          return ackState('DBInstance', id, i, i?.status?.dbInstanceStatus);
        });
        // the cluster endpoint answers once one instance does; the others only delay convergence
        const blocked = !clusterState.ready ? clusterState : instanceStates.some((s) => s.ready) ? undefined : instanceStates.find((s) => !s.ready);
        const host = cluster?.status?.endpoint as string | undefined;
        o.database =
          blocked ?? (host ? combine([clusterState, ...instanceStates], ready(`DBCluster ${dbIdentifier(p, this.ctx)} is available`)) : notReady('EndpointPending', `DBCluster ${dbIdentifier(p, this.ctx)} has no endpoint yet`));
        if (o.database.ready && host) o.database.connection = { engine: db.engine, host, port: (cluster?.spec?.port as number | undefined) ?? defaultPort, name: db.name, user: db.username, password: masterPassword ?? '' };
      } else {
        const inst = get(ACK.rds, 'DBInstance', dbIdentifier(p, this.ctx));
        const state = ackState('DBInstance', dbIdentifier(p, this.ctx), inst, inst?.status?.dbInstanceStatus);
        const ep = inst?.status?.endpoint as { address?: string; port?: number } | undefined;
        o.database = !state.ready ? state : ep?.address && ep.port ? state : notReady('EndpointPending', `DBInstance ${dbIdentifier(p, this.ctx)} has no endpoint yet`);
        if (o.database.ready && ep?.address) o.database.connection = { engine: db.engine, host: ep.address, port: ep.port ?? defaultPort, name: db.name, user: db.username, password: masterPassword ?? '' };
      }
      if (o.database.ready && rdsManagesPassword(db)) o.database = await this.withManagedCredentials(o.database, primaryKind, dbIdentifier(p, this.ctx), primary);
      else if (o.database.ready && !masterPassword) o.database = notReady('PasswordPending', `the master password Secret is not there yet`);
    }
    if (p.spec.cache) {
      const rg = get(ACK.elasticache, 'ReplicationGroup', cacheId(p, this.ctx));
      const state = ackState('ReplicationGroup', cacheId(p, this.ctx), rg, rg?.status?.status);
      const ep = (rg?.status?.nodeGroups?.[0]?.primaryEndpoint ?? rg?.status?.configurationEndpoint) as { address?: string; port?: number } | undefined;
      o.cache = !state.ready ? state : ep?.address ? state : notReady('EndpointPending', `ReplicationGroup ${cacheId(p, this.ctx)} has no primary endpoint yet`);
      if (o.cache.ready && ep?.address) o.cache.url = redisUrl(ep.address, ep.port ?? 6379, p.spec.cache.transitEncryption);
    }
    if (p.spec.whatsapp?.enabled) {
      const fs = get(ACK.efs, 'FileSystem', fileSystemName(p, this.ctx));
      const ap = get(ACK.efs, 'AccessPoint', accessPointName(p, this.ctx));
      const fsState = ackState('FileSystem', fileSystemName(p, this.ctx), fs, fs?.status?.lifeCycleState);
      const apState = ackState('AccessPoint', accessPointName(p, this.ctx), ap, ap?.status?.lifeCycleState);
      const fileSystemId = fs?.status?.fileSystemID as string | undefined;
      const accessPointId = ap?.status?.accessPointID as string | undefined;
      const blocked = [fsState, apState].find((s) => !s.ready);
      o.fileSystem =
        blocked ?? (fileSystemId && accessPointId ? combine([fsState, apState], ready(`FileSystem ${fileSystemId} and AccessPoint ${accessPointId} are available`)) : notReady('IdPending', 'EFS ids not reported yet'));
      if (o.fileSystem.ready) Object.assign(o.fileSystem, { fileSystemId, accessPointId });
    }
    if (p.spec.uploads?.enabled) {
      const name = uploadsBucketName(p, this.ctx);
      const b = get(ACK.s3, 'Bucket', name);
      // a Bucket has no lifecycle status of its own: it exists once synced, or once ACK recorded
      // CreateBucket's Location (a later failed sync, e.g. of tags, leaves it usable)
      o.uploads = ackState('Bucket', name, b, synced(b) || b?.status?.location ? 'available' : undefined);
      if (o.uploads.ready) Object.assign(o.uploads, { bucket: name, region: p.spec.aws?.region });
    }
    // an object that existed and is gone is a loss: the reconciler holds it back instead of re-creating it empty
    // (only sections the spec still has: a removed one is removal's, and its section is gone from `p`)
    for (const s of (opts.existed ?? []).filter((x) => wantedServices(p).includes(x))) {
      // the ACK object that holds the service's data: its loss is the service's loss
      const { apiVersion, kind, name } = primaryResource(p, this.ctx, s);
      if (!get(apiVersion, kind, name)) o[s] = lost(kind, name, s);
    }
    // look again while anything is not usable yet or not converged (a Modify waits for AWS to finish)
    if ([o.database, o.cache, o.fileSystem, o.uploads].some(settling)) o.requeueAfterMs = 15_000;
    return o;
  }

  /** A usable database's connection with the user and password RDS keeps in its secret (mode managed). */
  private async withManagedCredentials(state: NonNullable<DataObservation['database']>, kind: string, id: string, obj: { status?: any } | undefined): Promise<NonNullable<DataObservation['database']>> {
    if (!this.masterSecrets) return notReady('NoAwsAccess', NO_AWS_ACCESS, true);
    const arn = obj?.status?.masterUserSecret?.secretARN as string | undefined;
    if (!arn) return masterSecretPending(kind, id);
    const read = await this.masterSecrets(arn);
    if ('state' in read) return read.state;
    return { ...state, connection: { ...state.connection!, ...read.credentials } };
  }

  /** ACK deletes or keeps the AWS resource as the object's annotations say: see ack-removal.ts. */
  async remove(p: BookingPlatform, service: ServiceName, opts: RemoveOptions): Promise<FinalizeResult> {
    if (!this.remover) throw new Error('the ack provider was built without a writer: it cannot remove anything');
    return this.remover.remove(p, service, opts);
  }
}

function condition(obj: { status?: any } | undefined, type: string): { status?: string; message?: string; reason?: string } | undefined {
  return (obj?.status?.conditions as Array<{ type: string; status?: string; message?: string; reason?: string }> | undefined)?.find((c) => c.type === type);
}

function synced(obj: { status?: any } | undefined): boolean {
  return condition(obj, 'ACK.ResourceSynced')?.status === 'True';
}

/**
 * The state of one ACK resource given its own lifecycle status field. Terminal blocks; otherwise
 * AWS's status decides usability, and ACK.Recoverable or ResourceSynced=False on a usable
 * resource only make it not converged (ACK retries; the resource still serves).
 */
export function ackState(kind: LifecycleKind, name: string, obj: { status?: any } | undefined, lifecycle: string | undefined): ServiceState {
  if (!obj) return notReady('Creating', `${kind} ${name} does not exist yet`);
  const terminal = condition(obj, 'ACK.Terminal');
  if (terminal?.status === 'True') return notReady('ACKTerminal', `${kind} ${name}: ${terminal.message ?? 'terminal error'}`, true);
  const recoverable = condition(obj, 'ACK.Recoverable');
  const aws = lifecycleState(kind, name, lifecycle);
  if (!aws.ready) return recoverable?.status === 'True' ? notReady('ACKRecoverable', `${kind} ${name}: ${recoverable.message ?? 'recoverable error'}`) : aws;
  if (recoverable?.status === 'True') return usableNotConverged(`${kind} ${name} is usable; ACK.Recoverable: ${recoverable.message ?? 'recoverable error'}`);
  if (aws.converged === false) return aws;
  const sync = condition(obj, 'ACK.ResourceSynced');
  if (sync?.status === 'False') return usableNotConverged(`${kind} ${name} is usable; ACK.ResourceSynced is False: ${sync.message ?? 'not synced'}`);
  return aws;
}
