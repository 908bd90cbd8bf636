/**
 * The rig's wait for conditions (operator/test/rig/kubectl.ts `waitForCondition`, which
 * `installCrds` uses for Established): an object whose `status.conditions` is still null — a new
 * CRD's, until the apiserver's controllers ran, which under load takes a while — is waited for,
 * where `kubectl wait --for=condition=…` fails at once (`.status.conditions accessor error: <nil>`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk, waitEstablished, waitForCondition } from '../rig/kubectl.ts';

const rig = inject('rig');
const NS = 'rig-wait';
const CRD = 'probes.rig-wait.booking.io';

beforeAll(() => {
  kubectl(rig, ['create', 'namespace', NS]);
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD },
    spec: {
      group: 'rig-wait.booking.io',
      scope: 'Namespaced',
      names: { plural: 'probes', singular: 'probe', kind: 'Probe', listKind: 'ProbeList' },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  }));
  waitEstablished(rig, [CRD]);
});
afterAll(() => {
  kubectl(rig, ['delete', 'crd', CRD, '--wait=false']);
});

it('waits on an object whose conditions are null until its condition is True', () => {
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'rig-wait.booking.io/v1', kind: 'Probe', metadata: { name: 'p', namespace: NS } }));
  // a JSON patch: a merge patch would drop a null instead of storing it
  const setStatus = (status: object) => ['patch', 'probe', 'p', '-n', NS, '--subresource=status', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/status', value: status }])];
  kubectlOk(rig, setStatus({ conditions: null }));
  // the state kubectl wait cannot handle
  const k = kubectl(rig, ['wait', '--for=condition=Established', 'probe/p', '-n', NS, '--timeout=10s']);
  expect(k.code).not.toBe(0);
  expect(k.stderr).toContain('accessor error');
  // not yet: a short wait ends in an error naming the object
  expect(() => waitForCondition(rig, 'probes.rig-wait.booking.io', ['p'], 'Established', { namespace: NS, timeoutMs: 1_000 })).toThrow(/Established not True .*: p$/);
  // someone else sets the condition a little later, while the (synchronous) wait polls
  const patcher = spawn('bash', ['-c', `sleep 2; exec "$0" "$@"`, join(rig.bin, 'kubectl'), '--kubeconfig', rig.kubeconfig, ...setStatus({ conditions: [{ type: 'Established', status: 'True', reason: 'Test', message: '', lastTransitionTime: new Date().toISOString() }] })], { stdio: 'ignore' });
  try {
    waitForCondition(rig, 'probes.rig-wait.booking.io', ['p'], 'Established', { namespace: NS, timeoutMs: 60_000 });
  } finally {
    patcher.kill();
  }
  expect(JSON.parse(kubectlOk(rig, ['get', 'probe', 'p', '-n', NS, '-o', 'json'])).status.conditions).toEqual([expect.objectContaining({ type: 'Established', status: 'True' })]);
});
