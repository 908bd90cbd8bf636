/**
 * `database.credentials` at the apiserver's door: the CRD's CEL rules refuse what the CLI refuses
 * (operator/src/api/credentials.test.ts), with the same message and field path.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CREDENTIALS_CASES } from '../fixtures/credentials-cases.ts';
import { rawPlatform, withDatabase, withProvisioner } from '../fixtures/platform.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');
const NS = 'crd-credentials';
const here = (raw: Record<string, any>, name: string) => ({ ...raw, metadata: { name, namespace: NS } });

beforeAll(() => {
  kubectl(rig, ['create', 'namespace', NS]);
});
afterAll(() => {
  kubectl(rig, ['delete', 'bookingplatforms', '--all', '-n', NS, '--wait=false']);
});

describe('database.credentials in the CRD', () => {
  it.each(['ack', 'sdk'] as const)('managed is accepted with provisioner %s, and stored as given', (provisioner) => {
    const doc = here(rawPlatform('acme', withProvisioner(provisioner), withDatabase({ credentials: { mode: 'managed' } })), `managed-${provisioner}`);
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(doc));
    const stored = JSON.parse(kubectlOk(rig, ['get', 'bkp', doc.metadata.name, '-n', NS, '-o', 'json']));
    expect(stored.spec.database.credentials).toEqual({ mode: 'managed' });
  });

  it('defaults to generated', () => {
    const doc = here(rawPlatform('acme', withDatabase()), 'defaulted');
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(doc));
    expect(JSON.parse(kubectlOk(rig, ['get', 'bkp', 'defaulted', '-n', NS, '-o', 'json'])).spec.database.credentials).toEqual({ mode: 'generated' });
  });

  it.each(CREDENTIALS_CASES.map((c, i) => ({ ...c, i })))('rejects $name, as the CLI does', ({ raw, old, path, message, i }) => {
    const name = `case-${i}`;
    if (old) kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(here(old, name)));
    const r = kubectl(rig, ['apply', '--server-side', ...(old ? [] : ['--dry-run=server']), '-f', '-'], JSON.stringify(here(raw, name)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    // the apiserver names the field where the rule sits (spec, or spec.database.credentials.mode)
    expect(r.stderr).toContain(path);
  });
});
