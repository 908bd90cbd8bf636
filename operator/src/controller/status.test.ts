import { describe, expect, it } from 'vitest';
import { platform, set, withDatabase, withIngress } from '../../test/fixtures/platform.ts';
import { computeStatus, deploymentState, statefulSetState, workloadState, type Observed } from './status.ts';

const available = (name: string, replicas = 2) => ({ name, live: { metadata: { generation: 3 }, spec: { replicas }, status: { observedGeneration: 3, replicas, updatedReplicas: replicas, availableReplicas: replicas } } });
const p = platform('acme', withDatabase(), withIngress());
const base: Observed = { generation: 4, wanted: ['database'], data: { database: { ready: true, reason: 'Available', message: 'DBInstance x is available' } }, workloads: [available('acme-backend')] };
const NOW = '2026-11-23T12:00:00Z';
const byType = (s: ReturnType<typeof computeStatus>) => Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c]));

describe('computeStatus', () => {
  it('is Ready only when every data service is usable and every Deployment available', () => {
    const s = computeStatus(p, base, undefined, NOW);
    const c = byType(s);
    expect(s.phase).toBe('Ready');
    expect(c.Ready).toMatchObject({ status: 'True', observedGeneration: 4, lastTransitionTime: NOW });
    expect(c.Reconciling!.status).toBe('False');
    expect(c.Stalled!.status).toBe('False');
    expect(c.DatabaseReady!.status).toBe('True');
    expect(c.CacheReady).toMatchObject({ status: 'True', reason: 'NotRequired' });
    expect(s.endpoints).toEqual({ api: 'https://api.acme.example', websocket: 'wss://api.acme.example' });
    expect(s.observedGeneration).toBe(4);
  });

  it('names the blocking data service and quotes its reason', () => {
    const s = computeStatus(p, { ...base, data: { database: { ready: false, reason: 'Creating', message: 'DBInstance x is creating' } } }, undefined, NOW);
    const c = byType(s);
    expect(s.phase).toBe('Provisioning');
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'DatabaseNotReady', message: 'database: DBInstance x is creating' });
    expect(c.Reconciling!.status).toBe('True');
    expect(c.DatabaseReady).toMatchObject({ status: 'False', reason: 'Creating' });
  });

  it('stays Ready while AWS works on a usable service (backing-up, modifying, ACK.Recoverable): the service condition says not converged', () => {
    const before = computeStatus(p, base, undefined, NOW);
    const busy = { ready: true, converged: false as const, reason: 'AvailableNotConverged', message: 'DBInstance x is usable; AWS status "backing-up"' };
    const s = computeStatus(p, { ...base, data: { database: busy } }, before, '2026-11-23T12:05:00Z');
    const c = byType(s);
    expect(s.phase).toBe('Ready');
    expect(c.Ready).toMatchObject({ status: 'True', reason: 'AvailableNotConverged', message: 'all data services usable and all Deployments available; not converged: database: DBInstance x is usable; AWS status "backing-up"', lastTransitionTime: NOW });
    // kstatus: Reconciling=True would read as InProgress and hold Flux/Argo waits for every nightly backup
    expect(c.Reconciling).toMatchObject({ status: 'False', reason: 'AvailableNotConverged', message: 'nothing blocks the platform; AWS is still at work on: database' });
    expect(c.Stalled!.status).toBe('False');
    expect(c.DatabaseReady).toMatchObject({ status: 'True', reason: 'AvailableNotConverged', message: 'DBInstance x is usable; AWS status "backing-up"', lastTransitionTime: NOW });
    expect(c.WorkloadsReady!.status).toBe('True');
    expect(s.components).toContainEqual({ name: 'database', kind: 'Database', ready: true, message: 'DBInstance x is usable; AWS status "backing-up"' });
  });

  it('a usable service whose correction AWS rejected is not Stalled (it still serves)', () => {
    const rejected = { ready: true, converged: false as const, terminal: true, reason: 'AvailableNotConverged', message: 'DBInstance x is usable; ModifyDBInstance x: InvalidParameterCombination: "no"' };
    const rolling = { name: 'acme-backend', live: { metadata: { generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 } } };
    const s = computeStatus(p, { ...base, data: { database: rejected }, workloads: [rolling] }, undefined, NOW);
    expect(byType(s).Stalled!.status).toBe('False');
    expect(byType(s).Ready).toMatchObject({ status: 'False', reason: 'WorkloadsNotReady' });
    expect(s.phase).not.toBe('Failed');
  });

  it('is Stalled on a terminal failure and on invalid input', () => {
    const terminal = computeStatus(p, { ...base, data: { database: { ready: false, reason: 'ACKTerminal', message: 'DBInstance x: InvalidParameterCombination', terminal: true } } }, undefined, NOW);
    expect(byType(terminal).Stalled).toMatchObject({ status: 'True', reason: 'Terminal', message: 'database: DBInstance x: InvalidParameterCombination' });
    expect(terminal.phase).toBe('Failed');
    const invalid = computeStatus(p, { generation: 4, wanted: [], workloads: [], invalid: [{ path: 'spec.backend.port', message: 'should be less than or equal to 65535' }] }, undefined, NOW);
    expect(byType(invalid).Stalled).toMatchObject({ status: 'True', reason: 'InvalidSpec', message: 'spec.backend.port: should be less than or equal to 65535' });
    expect(byType(invalid).Ready!.status).toBe('False');
  });

  it('quotes the unavailable Deployment, and calls a once-Ready platform rolling out Updating, not Degraded', () => {
    const rolling = { name: 'acme-backend', live: { metadata: { generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 1, conditions: [{ type: 'Available', message: 'Deployment does not have minimum availability.' }] } } };
    const before = computeStatus(p, base, undefined, NOW);
    const s = computeStatus(p, { ...base, workloads: [rolling] }, before, '2026-11-23T12:05:00Z');
    expect(byType(s).WorkloadsReady).toMatchObject({ status: 'False', reason: 'RollingOut', message: 'acme-backend: 1 of 2 replicas unavailable (Deployment does not have minimum availability.)' });
    expect(s.phase).toBe('Updating');
    // still rolling out on the next pass; Ready again when it is done
    const again = computeStatus(p, { ...base, workloads: [rolling] }, s, '2026-11-23T12:06:00Z');
    expect(again.phase).toBe('Updating');
    expect(computeStatus(p, base, again, '2026-11-23T12:07:00Z').phase).toBe('Ready');
    // a first rollout is Pending; a failure the operator retries on a platform that was up is Degraded
    expect(computeStatus(p, { ...base, workloads: [rolling] }, undefined, NOW).phase).toBe('Pending');
    expect(computeStatus(p, { ...base, error: 'Deployment acme-backend: admission webhook denied the request' }, s, NOW).phase).toBe('Degraded');
    expect(byType(s).Ready!.lastTransitionTime).toBe('2026-11-23T12:05:00Z');
    expect(byType(s).DatabaseReady!.lastTransitionTime).toBe(NOW);
  });

  it('says workloads wait for data services rather than crash-loop', () => {
    const s = computeStatus(p, { ...base, workloads: [{ name: 'acme-backend', heldBack: 'waiting for database (creating)' }] }, undefined, NOW);
    expect(byType(s).WorkloadsReady).toMatchObject({ reason: 'WaitingForDataServices', message: 'acme-backend: waiting for database (creating)' });
  });

  it('reports pause and deletion', () => {
    expect(computeStatus(platform('acme', set('paused', true)), { ...base, paused: true }, undefined, NOW).phase).toBe('Paused');
    const d = computeStatus(p, { ...base, deleting: 'waiting for RDS to take the final snapshot' }, undefined, NOW);
    expect(d.phase).toBe('Deleting');
    expect(byType(d).Ready).toMatchObject({ status: 'False', reason: 'Deleting', message: 'waiting for RDS to take the final snapshot' });
  });
});

describe('deploymentState', () => {
  it('follows kubectl rollout status', () => {
    expect(deploymentState(available('a')).ready).toBe(true);
    expect(deploymentState({ name: 'a' }).message).toBe('a: not created yet');
    expect(deploymentState({ name: 'a', live: { metadata: { generation: 4 }, spec: { replicas: 1 }, status: { observedGeneration: 3 } } }).message).toBe('a: rollout not observed yet');
    expect(deploymentState({ name: 'a', live: { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2 } } }).message).toBe('a: 1 old replicas pending termination');
  });
});

describe('statefulSetState', () => {
  const sts = (status: Record<string, unknown>, generation = 2) => ({ name: 'gw', kind: 'StatefulSet' as const, live: { metadata: { generation }, spec: { replicas: 1 }, status: { observedGeneration: 2, ...status } } });
  const rolledOut = { replicas: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: 'gw-1', updateRevision: 'gw-1' };

  it('is ready when its pod is ready at the update revision (kubectl rollout status)', () => {
    expect(statefulSetState(sts(rolledOut))).toEqual({ ready: true, message: 'gw: 1 of 1 ready' });
    expect(statefulSetState(sts(rolledOut, 3)).message).toBe('gw: rollout not observed yet');
    expect(statefulSetState(sts({ ...rolledOut, updatedReplicas: 0, updateRevision: 'gw-2' })).message).toBe('gw: 0 of 1 replicas updated');
    // the pod of a lost node: marked not ready, Terminating, not replaced
    expect(statefulSetState(sts({ ...rolledOut, readyReplicas: 0 }))).toEqual({ ready: false, message: 'gw: 0 of 1 replicas ready' });
    expect(statefulSetState({ name: 'gw', kind: 'StatefulSet' }).message).toBe('gw: not created yet');
  });

  it('is chosen by kind, and a workload waiting for the one it replaces is not ready', () => {
    expect(workloadState(sts(rolledOut)).ready).toBe(true);
    expect(workloadState({ ...sts(rolledOut), kind: 'Deployment' }).ready).toBe(false); // read as a Deployment: no availableReplicas
    expect(workloadState({ name: 'gw', kind: 'StatefulSet', replacing: 'replaces Deployment gw' })).toEqual({ ready: false, message: 'gw: replaces Deployment gw' });
    const s = computeStatus(p, { ...base, workloads: [available('acme-backend'), sts({ ...rolledOut, readyReplicas: 0 })] }, undefined, NOW);
    expect(byType(s).WorkloadsReady).toMatchObject({ status: 'False', reason: 'RollingOut', message: 'gw: 0 of 1 replicas ready' });
    expect(s.components).toContainEqual({ name: 'gw', kind: 'StatefulSet', ready: false, message: 'gw: 0 of 1 replicas ready' });
  });
});
