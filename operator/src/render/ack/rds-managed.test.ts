/** ACK RDS objects with credentials mode `managed`: RDS keeps the master password in Secrets Manager. */
import { describe, expect, it } from 'vitest';
import { ofKind } from '../../../test/fixtures/objects.ts';
import { platform, withDatabase } from '../../../test/fixtures/platform.ts';
import { renderPlatform } from '../index.ts';
import { rdsManagesPassword } from './rds.ts';

const CTX = { clusterName: 'prod' };
const managed = { credentials: { mode: 'managed' } };

describe('credentials mode managed', () => {
  it.each([
    ['postgres', { engine: 'postgres' }, 'DBInstance'],
    ['mysql', { engine: 'mysql', version: '8.0' }, 'DBInstance'],
    ['aurora', { engine: 'aurora-postgresql', version: '16.4', serverless: {} }, 'DBCluster'],
  ])('%s: the %s asks RDS to manage the password and references no Secret', (_name, db, kind) => {
    const p = platform('acme', withDatabase({ ...db, ...managed }));
    const objects = renderPlatform(p, { masterSecretName: 'acme-db-master-abc123' }, CTX);
    const [primary] = ofKind(objects, kind);
    expect(primary!.spec).toMatchObject({ manageMasterUserPassword: true, masterUsername: 'booking' });
    expect(primary!.spec).not.toHaveProperty('masterUserPassword');
    // nothing rendered names a master-password Secret
    expect(JSON.stringify(objects)).not.toContain('db-master');
    // Aurora members carry no credentials of their own
    for (const member of ofKind(objects, 'DBInstance').filter((o) => (o.spec as any).dbClusterIdentifier)) {
      expect(member.spec).not.toHaveProperty('manageMasterUserPassword');
    }
  });

  it('generated (the default) keeps the Secret reference and never sets manageMasterUserPassword', () => {
    const p = platform('acme', withDatabase());
    expect(p.spec.database!.credentials).toEqual({ mode: 'generated' });
    expect(rdsManagesPassword(p.spec.database)).toBe(false);
    const [inst] = ofKind(renderPlatform(p, {}, CTX), 'DBInstance');
    expect(inst!.spec).toMatchObject({ masterUserPassword: { name: 'acme-db-master', key: 'password' } });
    expect(inst!.spec).not.toHaveProperty('manageMasterUserPassword');
  });
});
