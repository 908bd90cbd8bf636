/**
 * The reads kubectl.ts answers in process (operator/test/rig/kube-read.ts) say what the real
 * kubectl says: the same exit code, the same objects (or names), the same error, for every form
 * the tests use — a named object, several names, lists by label and field selector, several kinds
 * at once, typed and custom resources, short names, cluster-scoped kinds, `-o name`, a missing
 * object. And what it does not answer goes to kubectl.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { rawPlatform, withDatabase } from '../fixtures/platform.ts';
import { readInProcess } from '../rig/kube-read.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');
const NS = 'kube-read';

/** The real kubectl's answer. */
function real(args: string[]) {
  const r = spawnSync(join(rig.bin, 'kubectl'), ['--kubeconfig', rig.kubeconfig, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  kubectl(rig, ['create', 'namespace', NS]);
  const objects = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: NS, labels: { 'kube-read': 'yes' } }, data: { a: '1' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: NS }, data: { b: '<&>' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'one', namespace: NS, labels: { 'kube-read': 'yes' } }, stringData: { password: 'p' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'one', namespace: NS }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Event', metadata: { name: 'one.1', namespace: NS }, involvedObject: { kind: 'BookingPlatform', name: 'shop', namespace: NS }, reason: 'Test', message: 'read', type: 'Warning' },
    { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'one', namespace: NS }, spec: { hard: { pods: '100' } } },
    { ...rawPlatform('shop', withDatabase()), metadata: { name: 'shop', namespace: NS, labels: { 'kube-read': 'yes' } } },
    { apiVersion: 'rds.services.k8s.aws/v1alpha1', kind: 'DBInstance', metadata: { name: 'one', namespace: NS }, spec: { dbInstanceIdentifier: 'one', dbInstanceClass: 'db.t4g.small', engine: 'postgres' } },
  ];
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  // the quota controller writes the quota's status once; compare after that
  const deadline = Date.now() + 60_000;
  while (!JSON.parse(kubectlOk(rig, ['get', 'quota', 'one', '-n', NS, '-o', 'json'])).status?.used && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
});

describe('reads answered in process', () => {
  it.each([
    ['a named object', ['get', 'bkp', 'shop', '-n', NS, '-o', 'json']],
    ['a named object with its managedFields', ['get', 'bookingplatform', 'shop', '-n', NS, '-o', 'json', '--show-managed-fields']],
    ['a typed object by short name', ['get', 'cm', 'two', '-n', NS, '-o', 'json']],
    ['a quota (short name, status written by a controller)', ['get', 'quota', 'one', '-n', NS, '-o', 'json']],
    ['a custom resource by resource.group', ['get', 'dbinstances.rds.services.k8s.aws', 'one', '-n', NS, '-o', 'json']],
    ['a list of custom resources', ['get', 'dbinstances.rds.services.k8s.aws', '-n', NS, '-o', 'json']],
    ['a typed list by label', ['get', 'configmaps', '-n', NS, '-l', 'kube-read=yes', '-o', 'json']],
    ['several kinds at once, by label', ['get', 'secrets,configmaps,bkp', '-n', NS, '-l', 'kube-read=yes', '-o', 'json']],
    ['events by field selector', ['get', 'events', '-n', NS, '--field-selector', 'involvedObject.kind=BookingPlatform,type=Warning', '-o', 'json']],
    ['several names', ['get', 'configmap', 'one', 'two', '-n', NS, '-o', 'json']],
    ['a cluster-scoped object', ['get', 'crd', 'bookingplatforms.platform.booking.io', '-o', 'json']],
    ['cluster-scoped objects by name', ['get', 'customresourcedefinitions', 'bookingplatforms.platform.booking.io', 'dbinstances.rds.services.k8s.aws', '-o', 'json']],
    ['a namespace', ['get', 'namespace', NS, '-o', 'json']],
    ['names, typed and custom', ['get', 'services,secrets,bkp', '-n', NS, '-o', 'name']],
    ['a named object by name', ['get', 'service', 'one', '-n', NS, '-o', 'name']],
    ['a missing object', ['get', 'bkp', 'absent', '-n', NS, '-o', 'json']],
    ['a missing object beside a present one', ['get', 'configmap', 'one', 'absent', '-n', NS, '-o', 'json']],
    ['an empty list', ['get', 'deployments', '-n', NS, '-o', 'json']],
  ])('%s', (_what, args) => {
    const ours = readInProcess(rig.kubeconfig, args);
    const theirs = real(args);
    expect(ours, 'answered in process').toBeDefined();
    expect(ours!.code).toBe(theirs.code);
    expect(ours!.stderr).toBe(theirs.stderr);
    if (args.includes('name')) expect(ours!.stdout).toBe(theirs.stdout);
    else expect(ours!.stdout ? JSON.parse(ours!.stdout) : undefined).toEqual(theirs.stdout ? JSON.parse(theirs.stdout) : undefined);
  });

  it.each([
    ['another verb', ['describe', 'bkp', 'shop', '-n', NS]],
    ['another output format', ['get', 'bkp', 'shop', '-n', NS, '-o', 'jsonpath={.metadata.name}']],
    ['a table', ['get', 'bkp', 'shop', '-n', NS]],
    ['a flag it does not know', ['get', 'bkp', '-A', '-o', 'json']],
    ['a kind/name argument', ['get', 'bkp/shop', '-n', NS, '-o', 'json']],
    ['an unknown kind', ['get', 'nonsense', '-n', NS, '-o', 'json']],
  ])('leaves %s to kubectl', (_what, args) => {
    expect(readInProcess(rig.kubeconfig, args)).toBeUndefined();
    // and kubectl.ts still answers it
    expect(kubectl(rig, args).code).toBe(real(args).code);
  });
});
