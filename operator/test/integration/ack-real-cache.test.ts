/**
 * `provisioner: ack` with a cache, end to end with the REAL ACK elasticache-controller (v1.8.0)
 * and rds-controller (v1.10.0), both built from their Go modules by scripts/rig/ensure-binaries.sh
 * `ack`, and moto as AWS. The elasticache-controller talks to moto through the loopback shim in
 * operator/test/rig/aws-shim.ts, which answers the three ElastiCache calls moto cannot answer as
 * AWS does (DescribeEvents, the end of DeleteReplicationGroup, DeleteCacheSubnetGroup) and
 * forwards everything else unchanged; the rds-controller talks to moto directly.
 *
 * The platform reaches Ready with REDIS_URL pointing at the primary endpoint moto reported for the
 * replication group; deleting it removes the cache with its policy (default Delete) through the
 * operator's ordered removal, and the platform goes only once ACK let go of every object.
 */
import { DescribeReplicationGroupsCommand, type ReplicationGroup } from '@aws-sdk/client-elasticache';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { motoClients, network, REGION, type Network } from '../aws/moto.ts';
import { rawPlatform, set, withCache, withDatabase } from '../fixtures/platform.ts';
import { startAckElastiCacheController, startAckRdsController, type AckController } from '../rig/ack-controller.ts';
import { startAwsShim, type AwsShim } from '../rig/aws-shim.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const moto = motoClients(rig.awsEndpoint!);
const logDir = mkdtempSync(join(tmpdir(), 'ack-real-cache-'));
const ns = 'ackr-cache';
const name = 'shop';

let net: Network;
let shim: AwsShim;
let rdsController: AckController;
let cacheController: AckController;
let op: OperatorProcess;

beforeAll(async () => {
  net = await network(moto, '10.61.0.0/16');
  kubectl(rig, ['create', 'namespace', ns]);
  shim = await startAwsShim(rig.awsEndpoint!);
  rdsController = await startAckRdsController(rig, { awsEndpoint: rig.awsEndpoint!, namespace: ns, logDir });
  cacheController = await startAckElastiCacheController(rig, { awsEndpoint: shim.endpoint, namespace: ns, logDir });
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'ack-real-cache', env: { LEASE_NAME: 'ack-real-cache', WATCH_NAMESPACES: ns }, logDir });
  console.log(`[ack-real-cache] logs in ${logDir} (operator: ${op.log}, elasticache-controller: ${cacheController.log}, rds-controller: ${rdsController.log})`);
});
afterAll(async () => {
  console.log(`[ack-real-cache] shim answered: ${shim?.answered.join(', ')}; moto errors passed through: ${shim?.motoErrors.join(', ')}`);
  await op?.stop();
  await cacheController?.stop();
  await rdsController?.stop();
  await shim?.stop();
});

const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const platformOf = () => {
  const r = kubectl(rig, ['get', 'bkp', name, '-n', ns, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const conditions = () => (platformOf()?.status?.conditions ?? []).map((c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message}`);
const secretValue = (secret: string, key: string) => Buffer.from(get(['secret', secret, '-n', ns]).data[key], 'base64').toString();
const ackObjects = (resource: string) => get([resource, '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];

/** The replication group as moto itself holds it (not through the shim). */
async function groupInMoto(id: string): Promise<ReplicationGroup | undefined> {
  try {
    return (await moto.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0];
  } catch (err) {
    if (/NotFound/.test((err as Error).name)) return undefined;
    throw err;
  }
}

describe('cache (and database) through the real elasticache-controller and rds-controller', () => {
  let groupId = '';
  let dbId = '';

  it('reaches Ready with REDIS_URL pointing at the endpoint moto reported', async () => {
    const raw = rawPlatform(
      name,
      withDatabase({ engine: 'postgres', version: '16', instanceClass: 'db.t4g.small', multiAZ: false, deletionPolicy: 'Delete' }),
      withCache({ replicas: 1 }),
      set('environment', 'staging'),
      set('aws', { region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds }),
    );
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...raw, metadata: { name, namespace: ns } }));
    try {
      await waitUntil(`${ns}/${name} Ready`, () => platformOf()?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True', 180_000, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nplatform: ${JSON.stringify(conditions())}\nReplicationGroup status: ${JSON.stringify(ackObjects('replicationgroups.elasticache.services.k8s.aws')[0]?.status?.conditions)}`, { cause: err });
    }
    const [rg] = ackObjects('replicationgroups.elasticache.services.k8s.aws');
    groupId = rg.spec.replicationGroupID;
    dbId = ackObjects('dbinstances.rds.services.k8s.aws')[0].spec.dbInstanceIdentifier;
    const aws = await groupInMoto(groupId);
    expect(aws?.Status).toBe('available');
    const ep = aws!.NodeGroups![0]!.PrimaryEndpoint!;
    expect(ep.Address).toMatch(/^master\./);
    expect(secretValue(`${name}-connection`, 'REDIS_URL')).toBe(`rediss://${ep.Address}:${ep.Port}/0`);
    // what the operator asked for arrived in AWS
    expect({
      engine: aws!.Engine,
      nodeType: aws!.CacheNodeType,
      members: aws!.MemberClusters?.length,
      failover: aws!.AutomaticFailover,
      multiAZ: aws!.MultiAZ,
      transit: aws!.TransitEncryptionEnabled,
      atRest: aws!.AtRestEncryptionEnabled,
      snapshotRetention: aws!.SnapshotRetentionLimit,
    }).toEqual({ engine: 'redis', nodeType: 'cache.t4g.micro', members: 2, failover: 'enabled', multiAZ: 'enabled', transit: true, atRest: true, snapshotRetention: 1 });
    // ACK's own view: the group synced; the shim answered the controller's DescribeEvents
    expect(rg.status.conditions.find((c: any) => c.type === 'ACK.ResourceSynced')?.status).toBe('True');
    expect(shim.answered).toContain('DescribeEvents');
    // the database beside it, through the rds-controller
    const db = (await moto.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbId }))).DBInstances![0]!;
    expect(secretValue(`${name}-connection`, 'DB_HOST')).toBe(db.Endpoint!.Address);
  }, 240_000);

  it('ACK.Recoverable on the available group (a change ACK cannot carry out): the cache stays usable, Ready but not converged, REDIS_URL unchanged', async () => {
    expect(groupId, 'the Ready test ran').not.toBe('');
    const url = secretValue(`${name}-connection`, 'REDIS_URL');
    // moto cannot modify a replication group (the controller's Modify path fails on moto's gaps
    // and ACK reports it as it reports any retryable AWS error): ACK.Recoverable, AWS status `available`
    kubectlOk(rig, ['patch', 'bkp', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { cache: { nodeType: 'cache.t4g.small' } } })]);
    const recoverable = () => ackObjects('replicationgroups.elasticache.services.k8s.aws')[0]?.status?.conditions?.find((c: any) => c.type === 'ACK.Recoverable' && c.status === 'True');
    await waitUntil('ACK.Recoverable on the ReplicationGroup', () => Boolean(recoverable()), 120_000, 500);
    const [rg] = ackObjects('replicationgroups.elasticache.services.k8s.aws');
    expect(rg.spec.cacheNodeType).toBe('cache.t4g.small');
    expect(rg.status.status).toBe('available');
    console.log(`[ack-real-cache] ReplicationGroup ACK.Recoverable: ${recoverable().message}`);
    const cond = (type: string) => platformOf()?.status?.conditions?.find((c: any) => c.type === type);
    await waitUntil('CacheReady usable, not converged', () => cond('CacheReady')?.reason === 'AvailableNotConverged', 60_000, 500);
    expect(cond('CacheReady')).toMatchObject({ status: 'True', message: expect.stringContaining('ACK.Recoverable') });
    expect(cond('Ready')).toMatchObject({ status: 'True', reason: 'AvailableNotConverged' });
    expect(cond('Stalled')?.status).toBe('False');
    expect(secretValue(`${name}-connection`, 'REDIS_URL')).toBe(url);
    expect((await groupInMoto(groupId))?.CacheNodeType).toBe('cache.t4g.micro');
  }, 240_000);

  it('deleting the platform deletes the replication group and its subnet group (policy Delete), then lets the platform go', async () => {
    expect(groupId, 'the Ready test ran').not.toBe('');
    kubectlOk(rig, ['delete', 'bkp', name, '-n', ns, '--wait=false']);
    try {
      await waitUntil(`${ns}/${name} gone`, () => platformOf() === undefined, 240_000, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nplatform: ${JSON.stringify(conditions())}\nshim answered: ${shim.answered.join(', ')}`, { cause: err });
    }
    // ACK let go of every object only after AWS took each delete
    expect(ackObjects('replicationgroups.elasticache.services.k8s.aws')).toEqual([]);
    expect(ackObjects('cachesubnetgroups.elasticache.services.k8s.aws')).toEqual([]);
    // DeleteReplicationGroup reached moto (moto keeps it `deleting`; the shim reports it gone, as AWS does once deleted)
    expect((await groupInMoto(groupId))?.Status).toBe('deleting');
    expect(shim.answered).toContain('DeleteCacheSubnetGroup');
    // the database went too (its own policy, Delete)
    await expect(moto.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbId }))).rejects.toThrow(/not found/i);
  }, 300_000);
});
