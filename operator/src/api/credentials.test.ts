/**
 * `database.credentials` at the door, CLI side (the apiserver side is
 * operator/test/integration/crd-credentials.test.ts, with the same cases and messages).
 */
import { describe, expect, it } from 'vitest';
import { rawPlatform, set, withDatabase, withProvisioner } from '../../test/fixtures/platform.ts';
import { parsePlatform } from './platform.ts';
import { CREDENTIALS_CASES } from '../../test/fixtures/credentials-cases.ts';

describe('database.credentials', () => {
  it('defaults to generated (today’s behaviour)', () => {
    const r = parsePlatform(rawPlatform('acme', withDatabase()));
    expect(r.ok && r.platform.spec.database!.credentials).toEqual({ mode: 'generated' });
  });

  it.each(['ack', 'sdk'] as const)('managed is accepted with provisioner %s', (provisioner) => {
    expect(parsePlatform(rawPlatform('acme', withProvisioner(provisioner), withDatabase({ credentials: { mode: 'managed' } })))).toMatchObject({ ok: true });
  });

  it.each(CREDENTIALS_CASES)('rejects $name', ({ raw, old, path, message }) => {
    const before = old ? parsePlatform(old) : undefined;
    if (before && !before.ok) throw new Error(`old platform invalid: ${JSON.stringify(before.errors)}`);
    const r = parsePlatform(raw, before?.ok ? before.platform : undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('an unknown mode is refused', () => {
    const r = parsePlatform(rawPlatform('acme', withDatabase({ credentials: { mode: 'vault' } })));
    expect(r.ok).toBe(false);
  });

  it('other database changes stay allowed on a managed platform', () => {
    const old = parsePlatform(rawPlatform('acme', withDatabase({ credentials: { mode: 'managed' } })));
    const r = parsePlatform(rawPlatform('acme', withDatabase({ credentials: { mode: 'managed' }, instanceClass: 'db.r6g.large' }), set('environment', 'staging')), old.ok ? old.platform : undefined);
    expect(r).toMatchObject({ ok: true });
  });
});
