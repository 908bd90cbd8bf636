import { describe, expect, it } from 'vitest';
import { KubeError } from '../kube/client.ts';
import { goPodTemplate, invalid } from '../../test/fixtures/fake-cluster.ts';
import { shortKubeError, isRefusal, withoutValues } from './apply-errors.ts';

const SECRET = 's3cret-from-env';

describe('which apply errors are terminal', () => {
  it.each([
    [400, true],
    [422, true],
    [403, false],
    [404, false],
    [409, false],
    [429, false],
    [500, false],
    [503, false],
    [0, false],
  ])('HTTP %i: terminal %s', (code, terminal) => {
    expect(isRefusal(new KubeError('x', code))).toBe(terminal);
  });

  it('only apiserver answers count, not other errors', () => {
    expect(isRefusal(new Error('422'))).toBe(false);
  });
});

describe('apply error messages are short and carry no values', () => {
  it('an immutable pod template: the field and the detail, not the 5 KB Go struct', () => {
    const err = invalid('Job.batch', 'shop-migrate-1a2b3c4d', 'spec.template', goPodTemplate({ DATABASE_URL: `postgresql://u:${SECRET}@db:5432/x` }) + ' '.repeat(5000), 'field is immutable');
    expect(shortKubeError(err)).toBe('spec.template: Invalid value: field is immutable');
  });

  it('several causes, quoted values, Unsupported with its allowed values', () => {
    const err = new KubeError('x', 422, 'Invalid', [
      { field: 'spec.resources.requests.storage', message: `Invalid value: "${SECRET}": must be greater than zero` },
      { field: 'spec.schedule', message: 'Invalid value: "x x x x x": unparseable' },
      { field: 'spec.policy', message: 'Unsupported value: "Sometimes": supported values: "Always", "Never"' },
      { field: 'spec.containers[0].image', message: 'Required value' },
    ]);
    const msg = shortKubeError(err);
    expect(msg).toBe('spec.resources.requests.storage: Invalid value: must be greater than zero; spec.schedule: Invalid value: unparseable; spec.policy: Unsupported value: supported values: "Always", "Never"; spec.containers[0].image: Required value');
    expect(msg).not.toContain(SECRET);
  });

  it('without causes: Go literals and quoted values are dropped from the message', () => {
    const text = `Internal error occurred: Object: &{map[env:[map[name:DATABASE_URL value:${SECRET}]]]} is not valid; Invalid value: "${SECRET}": bad; core.EnvVar{Name:"A", Value:"${SECRET}"}`;
    const out = withoutValues(text);
    expect(out).not.toContain(SECRET);
    expect(out).toBe('Internal error occurred: {…} is not valid; Invalid value: bad; {…}');
  });

  it('one line, at most 240 characters', () => {
    const msg = shortKubeError(new KubeError(`${'a'.repeat(500)}\n  at stack`, 500));
    expect(msg).toHaveLength(240);
    expect(msg).not.toContain('\n');
  });

  it('plain messages pass unchanged', () => {
    expect(shortKubeError(new KubeError('etcdserver: request timed out', 500))).toBe('etcdserver: request timed out');
    expect(shortKubeError(new KubeError('deployments.apps "x" is forbidden: User "op" cannot patch resource "deployments"', 403))).toBe('deployments.apps "x" is forbidden: User "op" cannot patch resource "deployments"');
  });
});
