import { describe, expect, it } from 'vitest';
import { platform, withCache, withDatabase, withUploads, withWhatsapp } from '../../test/fixtures/platform.ts';
import { AckDataServices, ackState, type AckLookup } from './ack.ts';

const T = '2026-01-01T00:00:00Z';
const c = (type: string, status: 'True' | 'False', message?: string) => ({ type, status, lastTransitionTime: T, ...(message ? { message } : {}) });
const synced = c('ACK.ResourceSynced', 'True', 'Resource synced successfully');
const obj = (...conditions: object[]) => ({ status: { conditions } });

describe('ackState', () => {
  it.each([
    ['no object yet', undefined, undefined, { ready: false, reason: 'Creating', message: 'DBInstance db does not exist yet' }],
    ['available and synced', obj(synced), 'available', { ready: true, reason: 'Available', message: 'DBInstance db is available' }],
    ['creating', obj(c('ACK.ResourceSynced', 'False')), 'creating', { ready: false, reason: 'Creating', message: 'DBInstance db: AWS status "creating"' }],
    ['status not reported yet', obj(), undefined, { ready: false, reason: 'Creating', message: 'DBInstance db: AWS status "not reported yet"' }],
    [
      'backing-up (AWS is busy, the endpoint stays)',
      obj(c('ACK.ResourceSynced', 'False', 'DBInstance is in backing-up state')),
      'backing-up',
      { ready: true, converged: false, reason: 'AvailableNotConverged', message: 'DBInstance db is usable; AWS status "backing-up"' },
    ],
    ['storage-optimization', obj(synced), 'storage-optimization', { ready: true, converged: false, reason: 'AvailableNotConverged', message: 'DBInstance db is usable; AWS status "storage-optimization"' }],
    [
      'ACK.Recoverable on an available resource (seen with the real controllers)',
      obj(c('ACK.ResourceSynced', 'False'), c('ACK.Recoverable', 'True', 'InvalidParameterValue: the tag key is reserved')),
      'available',
      { ready: true, converged: false, reason: 'AvailableNotConverged', message: 'DBInstance db is usable; ACK.Recoverable: InvalidParameterValue: the tag key is reserved' },
    ],
    [
      'ACK.ResourceSynced False on an available resource',
      obj(c('ACK.ResourceSynced', 'False', 'Resource not synced')),
      'available',
      { ready: true, converged: false, reason: 'AvailableNotConverged', message: 'DBInstance db is usable; ACK.ResourceSynced is False: Resource not synced' },
    ],
    [
      'ACK.Recoverable while not usable yet',
      obj(c('ACK.Recoverable', 'True', 'AccessDenied: not authorized to perform rds:CreateDBInstance')),
      undefined,
      { ready: false, reason: 'ACKRecoverable', message: 'DBInstance db: AccessDenied: not authorized to perform rds:CreateDBInstance' },
    ],
    [
      'ACK.Terminal even while available',
      obj(c('ACK.Terminal', 'True', 'InvalidParameterCombination: bad class')),
      'available',
      { ready: false, reason: 'ACKTerminal', message: 'DBInstance db: InvalidParameterCombination: bad class', terminal: true },
    ],
    ['an AWS failure status', obj(synced), 'incompatible-parameters', { ready: false, reason: 'Failed', message: 'DBInstance db: AWS status "incompatible-parameters"', terminal: true }],
  ])('%s', (_name, o, lifecycle, want) => {
    expect(ackState('DBInstance', 'db', o, lifecycle)).toEqual(want);
  });
});

/** An informer cache holding these objects, by kind (Aurora's instances by kind and index: `DBInstance-1`). */
const cache =
  (objs: Record<string, { spec?: any; status?: any }>): AckLookup =>
  (_apiVersion, kind, _ns, name) =>
    objs[`${kind}${/-\d$/.exec(name)?.[0] ?? ''}`];
/** A message about some resource of `kind` (identifiers are the names module's business). */
const about = (kind: string, rest: string) => expect.stringMatching(new RegExp(`^${kind} [a-z0-9-]+${rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

describe('AckDataServices.observe', () => {
  const pw = 'pw-123456';

  it('a DBInstance that is backing up keeps its connection; the pass asks to look again', async () => {
    const p = platform('acme', withDatabase());
    const o = await new AckDataServices(
      cache({
        DBInstance: { status: { dbInstanceStatus: 'backing-up', endpoint: { address: 'db.example', port: 5432 }, conditions: [synced] } },
      }),
    ).observe(p, pw);
    expect(o.database).toMatchObject({ ready: true, converged: false, reason: 'AvailableNotConverged', message: about('DBInstance', ' is usable; AWS status "backing-up"') });
    expect(o.database!.connection).toMatchObject({ host: 'db.example', port: 5432, password: pw });
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('a converged platform needs no requeue', async () => {
    const p = platform('acme', withDatabase());
    const o = await new AckDataServices(
      cache({ DBInstance: { status: { dbInstanceStatus: 'available', endpoint: { address: 'db.example', port: 5432 }, conditions: [synced] } } }),
    ).observe(p, pw);
    expect(o.database).toMatchObject({ ready: true, reason: 'Available' });
    expect(o.database!.converged).toBeUndefined();
    expect(o.requeueAfterMs).toBeUndefined();
  });

  it('Aurora: a cluster in maintenance with one usable instance is usable; a reader still being created is not convergence', async () => {
    const p = platform('aur', withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 2 } }));
    const o = await new AckDataServices(
      cache({
        DBCluster: { spec: { port: 5432 }, status: { status: 'maintenance', endpoint: 'cluster.example', conditions: [synced] } },
        'DBInstance-0': { status: { dbInstanceStatus: 'available', conditions: [synced] } },
        'DBInstance-1': { status: { dbInstanceStatus: 'creating', conditions: [c('ACK.ResourceSynced', 'False')] } },
      }),
    ).observe(p, pw);
    expect(o.database).toMatchObject({ ready: true, converged: false, message: expect.stringMatching(/^DBCluster \S+ is usable; AWS status "maintenance"; DBInstance \S+-1: AWS status "creating"$/) });
    expect(o.database!.connection).toMatchObject({ host: 'cluster.example', port: 5432 });
  });

  it('Aurora: no usable instance means no usable database', async () => {
    const p = platform('aur', withDatabase({ engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 2 } }));
    const o = await new AckDataServices(
      cache({
        DBCluster: { status: { status: 'available', endpoint: 'cluster.example', conditions: [synced] } },
        'DBInstance-0': { status: { dbInstanceStatus: 'creating' } },
      }),
    ).observe(p, pw);
    expect(o.database).toMatchObject({ ready: false, reason: 'Creating', message: expect.stringMatching(/^DBInstance \S+-0: AWS status "creating"$/) });
    expect(o.database!.connection).toBeUndefined();
  });

  it('a snapshotting ReplicationGroup, or one with ACK.Recoverable, keeps its URL', async () => {
    const p = platform('acme', withCache());
    const rg = (status: string, ...conditions: object[]) => ({
      ReplicationGroup: { status: { status, nodeGroups: [{ primaryEndpoint: { address: 'redis.example', port: 6379 } }], conditions } },
    });
    const snap = await new AckDataServices(cache(rg('snapshotting', synced))).observe(p, undefined);
    expect(snap.cache).toMatchObject({ ready: true, converged: false, url: 'rediss://redis.example:6379/0', message: about('ReplicationGroup', ' is usable; AWS status "snapshotting"') });
    const rec = await new AckDataServices(cache(rg('available', c('ACK.Recoverable', 'True', 'Throttling: Rate exceeded')))).observe(p, undefined);
    expect(rec.cache).toMatchObject({ ready: true, converged: false, url: 'rediss://redis.example:6379/0', message: about('ReplicationGroup', ' is usable; ACK.Recoverable: Throttling: Rate exceeded') });
    expect(rec.requeueAfterMs).toBeGreaterThan(0);
  });

  it('an updating EFS file system keeps its ids', async () => {
    const p = platform('acme', withWhatsapp());
    const o = await new AckDataServices(
      cache({
        FileSystem: { status: { lifeCycleState: 'updating', fileSystemID: 'fs-1', conditions: [synced] } },
        AccessPoint: { status: { lifeCycleState: 'available', accessPointID: 'fsap-1', conditions: [synced] } },
      }),
    ).observe(p, undefined);
    expect(o.fileSystem).toMatchObject({ ready: true, converged: false, fileSystemId: 'fs-1', accessPointId: 'fsap-1' });
  });

  it('a created Bucket that ACK has not synced since is still usable', async () => {
    const p = platform('acme', withUploads());
    const o = await new AckDataServices(
      cache({ Bucket: { status: { location: '/the-bucket', conditions: [c('ACK.ResourceSynced', 'False', 'PutBucketTagging: AccessDenied')] } } }),
    ).observe(p, undefined);
    expect(o.uploads).toMatchObject({ ready: true, converged: false, bucket: expect.any(String), message: about('Bucket', ' is usable; ACK.ResourceSynced is False: PutBucketTagging: AccessDenied') });
  });
});
