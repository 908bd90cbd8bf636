/**
 * Credentials mode `managed` in the data layer: RDS's secret parsed without ever quoting it, the
 * ack provider's connection from `status.masterUserSecret.secretARN` through the injected reader,
 * and the ledger's record of the mode.
 */
import { describe, expect, it } from 'vitest';
import { platform, withDatabase } from '../../test/fixtures/platform.ts';
import { dbIdentifier, auroraInstanceIds } from '../render/ack/rds.ts';
import { AckDataServices, type AckLookup, type MasterSecretReader } from './ack.ts';
import { MasterSecretFormatError, parseMasterUserSecret } from './connection.ts';
import { passwordManagedByRds, recordSpec } from './ledger.ts';
import { notReady } from './types.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf';
const synced = { type: 'ACK.ResourceSynced', status: 'True' };
const managed = (db: Record<string, unknown> = {}) => platform('acme', withDatabase({ credentials: { mode: 'managed' }, ...db }));

describe('parseMasterUserSecret', () => {
  it('reads the JSON RDS writes', () => {
    expect(parseMasterUserSecret(ARN, JSON.stringify({ username: 'booking', password: 'p@ss/w"rd' }))).toEqual({ user: 'booking', password: 'p@ss/w"rd' });
  });

  it.each([
    ['not JSON', 'hunter2-not-json'],
    ['no password', JSON.stringify({ username: 'booking', pass: 'hunter2-misnamed' })],
    ['an empty password', JSON.stringify({ username: 'booking', password: '' })],
    ['a JSON string', JSON.stringify('hunter2-string')],
  ])('%s: names the secret, never its text', (_case, text) => {
    let err: unknown;
    try {
      parseMasterUserSecret(ARN, text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MasterSecretFormatError);
    expect((err as Error).message).toContain(ARN);
    expect((err as Error).message).not.toMatch(/hunter2/);
  });
});

/** A lookup over a map of `kind/name` → object. */
const lookupOf = (objects: Record<string, { spec?: any; status?: any }>): AckLookup => (_av, kind, _ns, name) => objects[`${kind}/${name}`];

describe('AckDataServices, credentials mode managed', () => {
  const p = managed();
  const id = dbIdentifier(p);
  const available = (extra: Record<string, unknown> = {}) => ({ status: { dbInstanceStatus: 'available', endpoint: { address: 'db.internal', port: 5432 }, conditions: [synced], ...extra } });
  const reads: string[] = [];
  const reader: MasterSecretReader = async (arn) => (reads.push(arn), { credentials: { user: 'rds_admin', password: 'from-secrets-manager' } });

  it('connects with the user and password from the ARN ACK reports, whatever the Kubernetes side passed', async () => {
    const ds = new AckDataServices(lookupOf({ [`DBInstance/${id}`]: available({ masterUserSecret: { secretARN: ARN, secretStatus: 'active' } }) }), undefined, undefined, reader);
    const o = await ds.observe(p, undefined);
    expect(o.database).toMatchObject({ ready: true, connection: { host: 'db.internal', port: 5432, name: 'booking', user: 'rds_admin', password: 'from-secrets-manager' } });
    expect(reads.at(-1)).toBe(ARN);
  });

  it('Aurora: the DBCluster’s secret', async () => {
    const a = managed({ engine: 'aurora-postgresql', version: '16.4', serverless: {}, multiAZ: false });
    const cluster = { status: { status: 'available', endpoint: 'cluster.internal', masterUserSecret: { secretARN: ARN }, conditions: [synced] } };
    const member = { status: { dbInstanceStatus: 'available', conditions: [synced] } };
    const ds = new AckDataServices(lookupOf({ [`DBCluster/${dbIdentifier(a)}`]: cluster, [`DBInstance/${auroraInstanceIds(a)[0]}`]: member }), undefined, undefined, reader);
    expect((await ds.observe(a, undefined)).database).toMatchObject({ ready: true, connection: { host: 'cluster.internal', user: 'rds_admin', password: 'from-secrets-manager' } });
  });

  it('no ARN reported yet: waits, saying why (looked at again)', async () => {
    const ds = new AckDataServices(lookupOf({ [`DBInstance/${id}`]: available() }), undefined, undefined, reader);
    const o = await ds.observe(p, undefined);
    expect(o.database).toMatchObject({ ready: false, reason: 'MasterSecretPending' });
    expect(o.database!.terminal).toBeUndefined();
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('no AWS access: a terminal state that says what to set, not a crash', async () => {
    const ds = new AckDataServices(lookupOf({ [`DBInstance/${id}`]: available({ masterUserSecret: { secretARN: ARN } }) }));
    expect((await ds.observe(p, undefined)).database).toMatchObject({ ready: false, terminal: true, reason: 'NoAwsAccess', message: expect.stringContaining('AWS_REGION') });
  });

  it('a failed read is the database’s state', async () => {
    const failing: MasterSecretReader = async () => ({ state: notReady('AwsAccessDenied', `GetSecretValue ${ARN}: not authorized`) });
    const ds = new AckDataServices(lookupOf({ [`DBInstance/${id}`]: available({ masterUserSecret: { secretARN: ARN } }) }), undefined, undefined, failing);
    expect((await ds.observe(p, undefined)).database).toMatchObject({ ready: false, reason: 'AwsAccessDenied' });
  });

  it('generated mode never reads Secrets Manager', async () => {
    const g = platform('acme', withDatabase());
    const before = reads.length;
    const ds = new AckDataServices(lookupOf({ [`DBInstance/${dbIdentifier(g)}`]: available({ masterUserSecret: { secretARN: ARN } }) }), undefined, undefined, reader);
    expect((await ds.observe(g, 'generated-pw')).database).toMatchObject({ ready: true, connection: { user: 'booking', password: 'generated-pw' } });
    expect(reads.length).toBe(before);
  });
});

describe('a section removed from the spec after it was seen usable', () => {
  it('is removal’s business, not a loss check on a section that is gone (no crash)', async () => {
    const noDb = platform('acme');
    const ds = new AckDataServices(lookupOf({}));
    await expect(ds.observe(noDb, undefined, { existed: ['database'] })).resolves.toEqual({});
  });
});

describe('the ledger records the mode', () => {
  it('with the section as last seen; managed entries name no master Secret', () => {
    const l = recordSpec({ services: {} }, managed());
    expect(l.services.database).toMatchObject({ spec: { credentials: { mode: 'managed' } } });
    expect(l.services.database).not.toHaveProperty('secret');
    expect(passwordManagedByRds(l.services.database)).toBe(true);
    expect(passwordManagedByRds(recordSpec({ services: {} }, platform('acme', withDatabase())).services.database)).toBe(false);
    // a ledger written before the field existed reads as generated
    expect(passwordManagedByRds({ provisioner: 'ack', spec: { engine: 'postgres' } })).toBe(false);
  });
});
