/**
 * ElastiCache through the SDK, as the ACK renderer (render/ack/elasticache.ts): a cache subnet
 * group and a Redis/Valkey replication group with one shard, failover across AZs when it has
 * replicas, encryption in transit and at rest.
 *
 * Drift on node type and replica count is corrected one change per pass (AWS allows one
 * modification at a time; the group is `modifying` until it is done).
 */
import {
  CreateCacheSubnetGroupCommand,
  CreateReplicationGroupCommand,
  DecreaseReplicaCountCommand,
  DeleteCacheSubnetGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheSubnetGroupsCommand,
  DescribeReplicationGroupsCommand,
  IncreaseReplicaCountCommand,
  ListTagsForResourceCommand,
  ModifyReplicationGroupCommand,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { BookingPlatform, CacheSpec } from '../api/types.generated.ts';
import { redisUrl } from '../data/connection.ts';
import { notReady, type ServiceState } from '../data/types.ts';
import { cacheId } from '../render/ack/elasticache.ts';
import { classifyLifecycle, correctDrift, description, lifecycle, lifecycleState, notOwned, ownedBy, tagList, type AwsContext, type Step } from './context.ts';
import { AwsCallError, call, callOr, classify } from './errors.ts';

export type CacheState = ServiceState & { url?: string };

const NOT_FOUND = ['ReplicationGroupNotFound'];

export async function describeReplicationGroup(ctx: AwsContext, id: string): Promise<ReplicationGroup | undefined> {
  const out = await callOr(`DescribeReplicationGroups ${id}`, () => ctx.clients.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })), NOT_FOUND, undefined);
  return out?.ReplicationGroups?.[0];
}

export async function observeCache(ctx: AwsContext, p: BookingPlatform): Promise<CacheState> {
  const c = p.spec.cache!;
  const aws = p.spec.aws!;
  const id = cacheId(p, ctx.render);
  const foreign = await ensureSubnetGroup(ctx, p);
  if (foreign) return foreign;
  const rg = await describeReplicationGroup(ctx, id);
  if (rg) {
    const tags = await tagsOf(ctx, rg.ARN, id);
    if (!ownedBy(ctx, p, tags)) return notOwned(ctx, p, 'ReplicationGroup', id, tags);
  }
  if (!rg) {
    const failover = c.replicas > 0;
    ctx.log.info({ kind: 'ReplicationGroup', id, nodeType: c.nodeType, replicas: c.replicas }, 'creating AWS resource');
    const out = await callOr(
      `CreateReplicationGroup ${id}`,
      () =>
        ctx.clients.elasticache.send(
          new CreateReplicationGroupCommand({
            ReplicationGroupId: id,
            ReplicationGroupDescription: description(p),
            Engine: c.engine,
            EngineVersion: c.version,
            CacheNodeType: c.nodeType,
            NumNodeGroups: 1,
            ReplicasPerNodeGroup: c.replicas,
            AutomaticFailoverEnabled: failover,
            MultiAZEnabled: failover,
            TransitEncryptionEnabled: c.transitEncryption,
            AtRestEncryptionEnabled: true,
            CacheSubnetGroupName: id,
            SecurityGroupIds: [...aws.securityGroupIds],
            SnapshotRetentionLimit: 1,
            Tags: tagList(ctx, p),
          }),
        ),
      ['ReplicationGroupAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `ReplicationGroup ${id}: create requested (AWS status "${out?.ReplicationGroup?.Status ?? 'creating'}")`);
  }
  const status = lifecycle(ctx, 'ReplicationGroup', id, rg.Status);
  let state = lifecycleState('ReplicationGroup', id, status);
  // no change while AWS is busy (snapshotting, modifying): it would be rejected; a later pass sends it
  const change = classifyLifecycle('ReplicationGroup', status).modifiable ? cacheDrift(rg, c) : undefined;
  if (change) state = await correctDrift(ctx, state, { kind: 'ReplicationGroup', id, action: change.action, fields: [change.what], what: change.what }, () => change.send(ctx, id));
  if (!state.ready) return state;
  const ep = rg.NodeGroups?.[0]?.PrimaryEndpoint ?? rg.ConfigurationEndpoint;
  if (!ep?.Address) return notReady('EndpointPending', `ReplicationGroup ${id} has no primary endpoint yet`);
  return { ...state, url: redisUrl(ep.Address, ep.Port ?? 6379, rg.TransitEncryptionEnabled ?? c.transitEncryption) };
}

/** ElastiCache describes carry no tags: they are read by ARN (none known: no tags, so not ours). */
async function tagsOf(ctx: AwsContext, arn: string | undefined, id: string) {
  if (!arn) return undefined;
  return (await call(`ListTagsForResource ${id}`, () => ctx.clients.elasticache.send(new ListTagsForResourceCommand({ ResourceName: arn })))).TagList;
}

/** Creates the subnet group if missing; a NotOwned state when the one there is another platform's. */
async function ensureSubnetGroup(ctx: AwsContext, p: BookingPlatform): Promise<ServiceState | undefined> {
  const name = cacheId(p, ctx.render);
  const found = await callOr(`DescribeCacheSubnetGroups ${name}`, () => ctx.clients.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: name })), ['CacheSubnetGroupNotFound'], undefined);
  const group = found?.CacheSubnetGroups?.[0];
  if (group) {
    const tags = await tagsOf(ctx, group.ARN, name);
    return ownedBy(ctx, p, tags) ? undefined : notOwned(ctx, p, 'CacheSubnetGroup', name, tags);
  }
  ctx.log.info({ kind: 'CacheSubnetGroup', id: name }, 'creating AWS resource');
  await callOr(
    `CreateCacheSubnetGroup ${name}`,
    () =>
      ctx.clients.elasticache.send(
        new CreateCacheSubnetGroupCommand({ CacheSubnetGroupName: name, CacheSubnetGroupDescription: description(p), SubnetIds: [...p.spec.aws!.subnetIds], Tags: tagList(ctx, p) }),
      ),
    ['CacheSubnetGroupAlreadyExists'],
    undefined,
  );
}

interface CacheChange {
  action: string;
  what: string;
  send(ctx: AwsContext, id: string): Promise<unknown>;
}

/** The next drift correction, if any (node type, then replica count, then failover). */
export function cacheDrift(rg: ReplicationGroup, c: CacheSpec): CacheChange | undefined {
  const modify = (what: string, input: Record<string, unknown>): CacheChange => ({
    action: 'ModifyReplicationGroup',
    what,
    send: (ctx, id) => ctx.clients.elasticache.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: id, ApplyImmediately: true, ...input })),
  });
  if (rg.CacheNodeType && rg.CacheNodeType !== c.nodeType) return modify(`CacheNodeType=${c.nodeType} (was ${rg.CacheNodeType})`, { CacheNodeType: c.nodeType });
  const replicas = Math.max(0, (rg.NodeGroups?.[0]?.NodeGroupMembers?.length ?? 1) - 1);
  const failoverOn = rg.AutomaticFailover === 'enabled' || rg.AutomaticFailover === 'enabling';
  if (c.replicas > replicas) {
    return {
      action: 'IncreaseReplicaCount',
      what: `replicas=${c.replicas} (was ${replicas})`,
      send: (ctx, id) => ctx.clients.elasticache.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: id, NewReplicaCount: c.replicas, ApplyImmediately: true })),
    };
  }
  if (c.replicas < replicas) {
    // no replicas left means no failover: turn it off first
    if (c.replicas === 0 && failoverOn) return modify('AutomaticFailoverEnabled=false, MultiAZEnabled=false', { AutomaticFailoverEnabled: false, MultiAZEnabled: false });
    return {
      action: 'DecreaseReplicaCount',
      what: `replicas=${c.replicas} (was ${replicas})`,
      send: (ctx, id) => ctx.clients.elasticache.send(new DecreaseReplicaCountCommand({ ReplicationGroupId: id, NewReplicaCount: c.replicas, ApplyImmediately: true })),
    };
  }
  if (c.replicas > 0 && !failoverOn) return modify('AutomaticFailoverEnabled=true, MultiAZEnabled=true', { AutomaticFailoverEnabled: true, MultiAZEnabled: true });
  return undefined;
}

/** Cache deletion policy: Delete (the default) or Retain; the subnet group goes after the group. */
export async function finalizeCache(ctx: AwsContext, p: BookingPlatform): Promise<Step> {
  const c = p.spec.cache!;
  const id = cacheId(p, ctx.render);
  if (c.deletionPolicy === 'Retain') return { done: true, message: 'cache retained (deletionPolicy Retain)' };
  const rg = await describeReplicationGroup(ctx, id);
  if (rg) {
    if (rg.ARN) {
      const tags = await call(`ListTagsForResource ${id}`, () => ctx.clients.elasticache.send(new ListTagsForResourceCommand({ ResourceName: rg.ARN })));
      if (!ownedBy(ctx, p, tags.TagList)) return { done: true, message: `ReplicationGroup ${id} is not tagged as this platform's: left alone` };
    }
    if (rg.Status === 'deleting') return { done: false, message: `waiting for ReplicationGroup ${id} to be deleted (AWS status "deleting")` };
    ctx.log.info({ kind: 'ReplicationGroup', id }, 'deleting AWS resource');
    await callOr(`DeleteReplicationGroup ${id}`, () => ctx.clients.elasticache.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id })), NOT_FOUND, undefined);
    return { done: false, message: `waiting for ReplicationGroup ${id} to be deleted` };
  }
  const found = await callOr(`DescribeCacheSubnetGroups ${id}`, () => ctx.clients.elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: id })), ['CacheSubnetGroupNotFound'], undefined);
  if (!found?.CacheSubnetGroups?.length) return { done: true, message: `ReplicationGroup ${id} deleted` };
  ctx.log.info({ kind: 'CacheSubnetGroup', id }, 'deleting AWS resource');
  try {
    await callOr(`DeleteCacheSubnetGroup ${id}`, () => ctx.clients.elasticache.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: id })), ['CacheSubnetGroupNotFound'], undefined);
  } catch (err) {
    // a subnet group holds no data and costs nothing: an endpoint that cannot delete it does not block the platform's deletion
    if (err instanceof AwsCallError && classify(err.error).kind === 'notImplemented') {
      ctx.log.warn({ kind: 'CacheSubnetGroup', id }, 'the endpoint does not implement DeleteCacheSubnetGroup; leaving the subnet group behind');
      return { done: true, message: `ReplicationGroup ${id} deleted; CacheSubnetGroup ${id} left behind (DeleteCacheSubnetGroup not implemented by the endpoint)` };
    }
    throw err;
  }
  return { done: true, message: `ReplicationGroup ${id} and its CacheSubnetGroup deleted` };
}
