/**
 * kstatus — what Flux, kpt and cli-utils compute to decide whether an object is done — read by the
 * real library (sigs.k8s.io/cli-utils, in a harness built at test time) on the live platform at
 * every step of its life, and compared with the operator's own Ready.
 *
 * "Ready" here is what `kubectl wait --for=condition=Ready` accepts: Ready=True, computed for the
 * current generation. kstatus must read Current exactly then, and never while the platform is not
 * Ready — in particular not in the moment after creation, before the operator has written any
 * status (the CRD defaults `status.observedGeneration` to 0 for that).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dbIdentifier } from '../../src/render/ack/rds.ts';
import { platform, rawPlatform, set, withDatabase } from '../fixtures/platform.ts';
import { makeAllAvailable, terminal } from '../rig/fake-ack.ts';
import { kstatus, type KStatus } from '../rig/kstatus.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const NS = 'kstatus';
const NAME = 'kstatus';
const ACK_FINALIZER = 'finalizers.rds.services.k8s.aws/DBInstance';
const mods = [withDatabase({ deletionPolicy: 'Delete' }), set('environment', 'development')];
const dbName = dbIdentifier(platform(NAME, ...mods));

let op: OperatorProcess | undefined;
afterAll(async () => {
  await op?.stop();
  kubectl(rig, ['patch', 'dbinstances.rds.services.k8s.aws', dbName, '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  kubectl(rig, ['delete', 'namespace', NS, '--wait=false']);
});

const live = () => JSON.parse(kubectlOk(rig, ['get', 'bkp', NAME, '-n', NS, '-o', 'json']));

/** The operator's Ready as `kubectl wait --for=condition=Ready` reads it: True, for this generation. */
function operatorReady(obj: any): boolean {
  const ready = obj.status?.conditions?.find((c: any) => c.type === 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === obj.metadata.generation && obj.status.observedGeneration === obj.metadata.generation;
}

const seen: string[] = [];
/** kstatus of `obj`, which must be `want` and agree with the operator's Ready. */
function expectKstatus(step: string, obj: any, want: KStatus): void {
  const k = kstatus(obj);
  const ready = operatorReady(obj);
  seen.push(`${step}: kstatus ${k.status} (${k.message}); Ready ${ready}; phase ${obj.status?.phase}`);
  expect(k.status, `${step}: ${k.message}; status ${JSON.stringify(obj.status)}`).toBe(want);
  expect(k.status === 'Current', `${step}: kstatus ${k.status} but the operator's Ready is ${ready}`).toBe(ready);
}

/** Waits until the live platform satisfies `fn`, returning it. */
const until = (what: string, fn: (o: any) => boolean, timeoutMs = 90_000) => waitUntil(what, () => {
  const o = live();
  return fn(o) ? o : undefined;
}, timeoutMs, 300);
const cond = (o: any, type: string) => o.status?.conditions?.find((c: any) => c.type === type);
const observed = (o: any) => o.status?.observedGeneration === o.metadata.generation;

describe('kstatus agrees with the operator at every step', () => {
  it('created, progressing, Ready, spec edit, Stalled, paused, deleting', async () => {
    kubectlOk(rig, ['create', 'namespace', NS]);

    // created: the operator is not running yet, so nothing has written status
    const created = JSON.parse(kubectlOk(rig, ['create', '-o', 'json', '-f', '-'], JSON.stringify({ ...rawPlatform(NAME, ...mods), metadata: { name: NAME, namespace: NS } })));
    expect(created.status).toEqual({ observedGeneration: 0 }); // the CRD's default, served by the apiserver
    expectKstatus('created (create response)', created, 'InProgress');
    expectKstatus('created (read back)', live(), 'InProgress');

    // progressing: the operator has looked, the database is not available yet
    op = await startOperatorProcess(rig.kubeconfig, { identity: 'kstatus-test', env: { LEASE_NAME: 'kstatus-test', WATCH_NAMESPACES: NS }, logDir: mkdtempSync(join(tmpdir(), 'kstatus-')) });
    const progressing = await until('the operator to report progress', (o) => observed(o) && cond(o, 'Ready')?.status === 'False' && cond(o, 'DatabaseReady')?.status === 'False');
    expectKstatus('progressing', progressing, 'InProgress');

    // Ready: the test plays ACK
    const ready = await waitUntil('Ready', () => {
      makeAllAvailable(rig, NS);
      const o = live();
      return operatorReady(o) ? o : undefined;
    }, 90_000, 500);
    expectKstatus('Ready', ready, 'Current');

    // spec edit: the answer to the edit itself, before the operator can have seen it
    const edited = JSON.parse(kubectlOk(rig, ['patch', 'bkp', NAME, '-n', NS, '--type=merge', '-o', 'json', '-p', '{"spec":{"backend":{"image":"registry.example/backend:1.0.1"}}}']));
    expect(edited.metadata.generation).toBe(ready.metadata.generation + 1);
    expectKstatus('spec edit (edit response)', edited, 'InProgress');
    expectKstatus('spec edit (rolled out)', await until('Ready for the edit', operatorReady), 'Current');

    // Stalled: ACK gives up on the database
    terminal(rig, NS, 'DBInstance', dbName, 'InvalidParameterCombination: db.t3.micro does not support Multi-AZ');
    expectKstatus('Stalled', await until('Stalled', (o) => observed(o) && cond(o, 'Stalled')?.status === 'True'), 'Failed');
    makeAllAvailable(rig, NS);
    expectKstatus('recovered', await until('Ready again', operatorReady), 'Current');

    // paused: the operator changes nothing until the owner unpauses (Reconciling and Stalled are
    // False; kstatus falls back on Ready=False, reason Paused, and waits)
    kubectlOk(rig, ['patch', 'bkp', NAME, '-n', NS, '--type=merge', '-p', '{"spec":{"paused":true}}']);
    expectKstatus('paused', await until('Paused', (o) => observed(o) && o.status.phase === 'Paused'), 'InProgress');
    kubectlOk(rig, ['patch', 'bkp', NAME, '-n', NS, '--type=merge', '-p', '{"spec":{"paused":false}}']);
    expectKstatus('unpaused', await until('Ready after unpausing', operatorReady), 'Current');

    // deleting: the database's deletion policy runs; ACK's finalizer holds the DBInstance a while
    kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', dbName, '-n', NS, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [ACK_FINALIZER] } })]);
    kubectlOk(rig, ['delete', 'bkp', NAME, '-n', NS, '--wait=false']);
    expectKstatus('deleting', await until('Deleting', (o) => o.status?.phase === 'Deleting'), 'Terminating');
    kubectlOk(rig, ['patch', 'dbinstances.rds.services.k8s.aws', dbName, '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitUntil('the platform gone', () => kubectl(rig, ['get', 'bkp', NAME, '-n', NS, '-o', 'name']).code !== 0, 90_000, 500);
    console.log(`[kstatus]\n${seen.join('\n')}`);
  });
});
