/**
 * provisioner sdk: "usable" is not "converged". A resource AWS is backing up, modifying or
 * maintaining keeps its connection (workloads proceed), gets no Modify while busy, and has its
 * drift corrected on a later pass once AWS reports it available again. moto reports everything
 * `available` at once; the statusOverride seam plays AWS's busy states.
 */
import type { SdkOptions, StatusOverride } from '../../src/aws/provider.ts';
import { createSdkProvider } from '../../src/aws/provider.ts';
import { describe, expect, it } from 'vitest';
import { set, withCache, withDatabase, withWhatsapp } from '../fixtures/platform.ts';
import { captureLog, converge, motoClients, PASSWORD, REGION, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

let moto: Moto;
let net: Network;

useMoto((env) => ({ moto, net } = env));

const CLUSTER = 'converging';

/** A provider whose AWS calls are recorded, with a switchable "AWS is busy" status for some kinds. */
function busyProvider(kinds: string[], extra: Partial<SdkOptions> = {}) {
  const clients = motoClients(moto.endpoint);
  const calls: string[] = [];
  for (const c of [clients.rds, clients.elasticache, clients.efs] as const) {
    (c.middlewareStack as any).add((next: any, context: any) => async (args: any) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    }, { step: 'initialize', name: 'recordCalls' });
  }
  const state: { busy: Record<string, string | undefined> } = { busy: {} };
  const statusOverride: StatusOverride = ({ kind, status }) => (kinds.includes(kind) ? (state.busy[kind] ?? status) : status);
  const dp = createSdkProvider({ region: REGION, log: captureLog().log, clients: () => clients, statusOverride, clusterName: CLUSTER, requeueAfterMs: 5_000, ...extra } as SdkOptions);
  return { dp, calls, state };
}

const modifies = (calls: string[]) => calls.filter((c) => /^(Modify|Increase|Decrease)/.test(c));

describe('a DBInstance AWS is busy with', () => {
  for (const status of ['backing-up', 'modifying', 'maintenance', 'storage-optimization', 'configuring-log-exports', 'upgrading']) {
    it(`"${status}" is usable with its connection; drift waits until it is available, then is corrected`, async () => {
      const name = `pg${status.replace(/[^a-z]/g, '').slice(0, 10)}`;
      const p = sdkPlatform(name, net, set('environment', 'staging'), withDatabase({ instanceClass: 'db.t3.micro' }));
      const { dp, calls, state } = busyProvider(['DBInstance']);
      const { o: first } = await converge(dp, p);
      const host = first.database!.connection!.host;

      const drifted = sdkPlatform(name, net, set('environment', 'staging'), withDatabase({ instanceClass: 'db.t3.micro', backupRetentionDays: 14 }));
      state.busy.DBInstance = status;
      calls.length = 0;
      const busy = await dp.observe(drifted, PASSWORD);
      expect(busy.database).toMatchObject({ ready: true, converged: false, reason: 'AvailableNotConverged', message: expect.stringMatching(new RegExp(`^DBInstance \\S+ is usable; AWS status "${status}"$`)) });
      expect(busy.database!.connection).toEqual({ engine: 'postgres', host, port: 5432, name: 'booking', user: 'booking', password: PASSWORD });
      expect(busy.requeueAfterMs).toBe(5_000);
      expect(modifies(calls)).toEqual([]);

      state.busy.DBInstance = undefined;
      const fixing = await dp.observe(drifted, PASSWORD);
      expect(modifies(calls)).toEqual(['ModifyDBInstance']);
      expect(fixing.database).toMatchObject({ ready: true, converged: false, message: expect.stringMatching(/is usable; applying BackupRetentionPeriod=14$/) });
      expect(fixing.database!.connection!.host).toBe(host);
      expect(fixing.requeueAfterMs).toBe(5_000);

      const done = await dp.observe(drifted, PASSWORD);
      expect(done.database).toMatchObject({ ready: true, reason: 'Available' });
      expect(done.database!.converged).toBeUndefined();
      expect(done.requeueAfterMs).toBeUndefined();
      expect(modifies(calls)).toEqual(['ModifyDBInstance']);
    });
  }

  it('"stopped" is not usable (a wait, not a failure), and no Modify is sent', async () => {
    const p = sdkPlatform('pgstopped', net, withDatabase());
    const { dp, calls, state } = busyProvider(['DBInstance']);
    await converge(dp, p);
    state.busy.DBInstance = 'stopped';
    calls.length = 0;
    const o = await dp.observe(sdkPlatform('pgstopped', net, withDatabase({ backupRetentionDays: 3 })), PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'Stopped' });
    expect(o.database!.terminal).toBeUndefined();
    expect(o.requeueAfterMs).toBe(5_000);
    expect(modifies(calls)).toEqual([]);
  });
});

describe('an Aurora cluster AWS is busy with', () => {
  const aurora = (min: number, max: number) => withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: min, maxCapacity: max } });

  it('"backing-up" (and an instance in "maintenance") is usable; the ACU change waits, then is applied', async () => {
    const p = sdkPlatform('aurbusy', net, aurora(0.5, 2));
    const { dp, calls, state } = busyProvider(['DBCluster', 'DBInstance']);
    const { o: first } = await converge(dp, p);
    const host = first.database!.connection!.host;

    const drifted = sdkPlatform('aurbusy', net, aurora(1, 4));
    state.busy = { DBCluster: 'backing-up', DBInstance: 'maintenance' };
    calls.length = 0;
    const busy = await dp.observe(drifted, PASSWORD);
    expect(busy.database).toMatchObject({ ready: true, converged: false, message: expect.stringMatching(/^DBCluster \S+ is usable; AWS status "backing-up"; DBInstance \S+ is usable; AWS status "maintenance"/) });
    expect(busy.database!.connection!.host).toBe(host);
    expect(busy.requeueAfterMs).toBe(5_000);
    expect(modifies(calls)).toEqual([]);

    state.busy = {};
    const fixing = await dp.observe(drifted, PASSWORD);
    expect(modifies(calls)).toEqual(['ModifyDBCluster']);
    expect(fixing.database).toMatchObject({ ready: true, converged: false, message: expect.stringMatching(/is usable; applying ServerlessV2ScalingConfiguration=\{"MinCapacity":1,"MaxCapacity":4\}$/) });
    expect(fixing.database!.connection!.host).toBe(host);

    const done = await dp.observe(drifted, PASSWORD);
    expect(done.database).toMatchObject({ ready: true, reason: 'Available' });
    expect(done.requeueAfterMs).toBeUndefined();
    expect(modifies(calls)).toEqual(['ModifyDBCluster']);
  });
});

describe('a ReplicationGroup AWS is busy with', () => {
  for (const status of ['snapshotting', 'modifying']) {
    it(`"${status}" keeps its URL; the node type change waits for "available"`, async () => {
      const p = sdkPlatform(`rc${status.slice(0, 4)}`, net, withCache());
      const { dp, calls, state } = busyProvider(['ReplicationGroup']);
      const { o: first } = await converge(dp, p);
      const url = first.cache!.url;

      const drifted = sdkPlatform(`rc${status.slice(0, 4)}`, net, withCache({ nodeType: 'cache.t4g.small' }));
      state.busy.ReplicationGroup = status;
      calls.length = 0;
      const busy = await dp.observe(drifted, undefined);
      expect(busy.cache).toEqual({ ready: true, converged: false, reason: 'AvailableNotConverged', message: expect.stringMatching(new RegExp(`^ReplicationGroup \\S+ is usable; AWS status "${status}"$`)), url });
      expect(busy.requeueAfterMs).toBe(5_000);
      expect(modifies(calls)).toEqual([]);

      // available again: the correction goes out. moto does not implement ModifyReplicationGroup
      // (a bare 500), which leaves the group usable with the failure quoted, and looked at again
      state.busy.ReplicationGroup = undefined;
      const fixing = await dp.observe(drifted, undefined);
      expect(modifies(calls)).toEqual(expect.arrayContaining(['ModifyReplicationGroup']));
      expect(fixing.cache).toMatchObject({ ready: true, converged: false, url, message: expect.stringMatching(/^ReplicationGroup \S+ is usable; ModifyReplicationGroup \S+: HTTP 500/) });
      expect(fixing.requeueAfterMs).toBe(5_000);
    });
  }
});

describe('an EFS file system AWS is updating', () => {
  it('keeps its ids and is usable', async () => {
    const p = sdkPlatform('fsupd', net, withWhatsapp());
    const { dp, state } = busyProvider(['FileSystem']);
    const { o: first } = await converge(dp, p);
    state.busy.FileSystem = 'updating';
    const o = await dp.observe(p, undefined);
    expect(o.fileSystem).toMatchObject({ ready: true, converged: false, fileSystemId: first.fileSystem!.fileSystemId, accessPointId: first.fileSystem!.accessPointId });
    expect(o.fileSystem!.message).toMatch(/^FileSystem fs-\S+ is usable; AWS status "updating"$/);
    expect(o.requeueAfterMs).toBe(5_000);
  });
});
