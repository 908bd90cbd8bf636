/**
 * The Argo CD health checks of argocd-cm-health.yaml, run by Argo CD's own code (argo-cd v3
 * util/lua through gitops-engine's GetResourceHealth, via scripts/rig/argocd-lua): standard Lua
 * libraries only where argocd-cm turns them on, which it does not. Status samples here; the same
 * script on live objects from the rig across a platform's lifecycle in
 * operator/test/integration/argocd-health.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { statusSchema } from '../../operator/src/api/schema.ts';
import { ARGO_HEALTH_STATUSES, argocdBin, argoHealth, writeArgocdCm } from '../../operator/test/rig/argocd.ts';
import { argocdCmPatch } from './cm.ts';

let cm: string;
beforeAll(() => {
  argocdBin(); // built once, cached (several minutes cold)
  cm = writeArgocdCm(argocdCmPatch());
}, 1_800_000);

const health = (obj: object | null) => argoHealth(cm, [obj])[0]!;

const T = '2025-01-01T00:00:00Z';
const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: T, observedGeneration: 3 });

function platform(status?: Record<string, unknown>, opts: { generation?: number; paused?: boolean; deleting?: boolean } = {}) {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: {
      name: 'acme',
      namespace: 'acme',
      generation: opts.generation ?? 3,
      ...(opts.deleting ? { deletionTimestamp: T, finalizers: ['platform.booking.io/cleanup'] } : {}),
    },
    spec: { paused: opts.paused ?? false, backend: { image: 'backend:1' } },
    ...(status ? { status } : {}),
  };
}

const ready = cond('Ready', 'True', 'Available', 'all data services usable and all Deployments available');
const notReady = cond('Ready', 'False', 'DatabaseNotReady', 'database: DBInstance acme-db is creating');
const stalled = cond('Stalled', 'True', 'InvalidSpec', 'database.version 9 is not offered by RDS');
const notStalled = cond('Stalled', 'False', 'Available', 'up to date');

describe('health.lua, through Argo CD', () => {
  it('is Progressing with "Waiting for the operator" before the operator wrote any status', () => {
    expect(health(platform())).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });
    expect(health(platform({}))).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });
    expect(health(platform({ observedGeneration: 0 }))).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });
  });

  it('is Healthy when Ready=True for the current generation', () => {
    expect(health(platform({ observedGeneration: 3, phase: 'Ready', conditions: [ready, notStalled] }))).toEqual({ status: 'Healthy', message: ready.message });
  });

  it('is Progressing, not Unknown, when Ready=True describes an older generation (no string library)', () => {
    // string.format here made Argo CD show Unknown ("attempt to index a non-table object(nil) with key 'format'")
    expect(health(platform({ observedGeneration: 2, phase: 'Ready', conditions: [ready] }, { generation: 3 }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 3 (status is for 2)',
    });
    // large generations print as integers
    expect(health(platform({ observedGeneration: 1234566, phase: 'Ready', conditions: [ready] }, { generation: 1234567 })).message).toBe(
      'Waiting for the operator to observe generation 1234567 (status is for 1234566)',
    );
  });

  it('is Progressing with the Ready message while the platform comes up or rolls out', () => {
    expect(health(platform({ observedGeneration: 3, phase: 'Provisioning', conditions: [notReady, cond('Reconciling', 'True', 'DatabaseNotReady', 'creating')] }))).toEqual({
      status: 'Progressing',
      message: notReady.message,
    });
    const rolling = cond('Ready', 'False', 'WorkloadsNotReady', 'acme-backend: 1 of 2 replicas unavailable');
    expect(health(platform({ observedGeneration: 3, phase: 'Updating', conditions: [rolling, notStalled] }))).toEqual({ status: 'Progressing', message: rolling.message });
  });

  it('is Degraded with the Stalled message when Stalled=True, whatever the generation', () => {
    expect(health(platform({ observedGeneration: 3, phase: 'Failed', conditions: [notReady, stalled] }))).toEqual({ status: 'Degraded', message: stalled.message });
    expect(health(platform({ observedGeneration: 1, conditions: [stalled] })).status).toBe('Degraded');
  });

  it('is Degraded when the phase is Failed', () => {
    const failed = cond('Ready', 'False', 'DatabaseNotReady', 'DBInstance acme-db is in state failed');
    expect(health(platform({ observedGeneration: 3, phase: 'Failed', conditions: [failed] }))).toEqual({ status: 'Degraded', message: failed.message });
    expect(health(platform({ observedGeneration: 3, phase: 'Failed' }))).toEqual({ status: 'Degraded', message: 'Failed' });
  });

  it('is Suspended when spec.paused is true, whatever the status says', () => {
    expect(health(platform(undefined, { paused: true })).status).toBe('Suspended');
    expect(health(platform({ observedGeneration: 3, phase: 'Paused', conditions: [ready] }, { paused: true }))).toEqual({
      status: 'Suspended',
      message: 'Paused (spec.paused): the operator makes no changes to this platform',
    });
  });

  it('while being deleted, says what the deletion waits for instead of "Pending deletion"', () => {
    const deleting = cond('Ready', 'False', 'Deleting', 'database: waiting for ACK to delete DBInstance acme-db');
    const obj = platform({ observedGeneration: 4, phase: 'Deleting', conditions: [deleting, cond('Stalled', 'False', 'Deleting', deleting.message)] }, { generation: 4, deleting: true });
    expect(health(obj)).toEqual({ status: 'Progressing', message: `Deleting: ${deleting.message}` });
    const blocked = cond('Stalled', 'True', 'DeletionBlocked', 'database: ACK.Terminal on DBInstance acme-db');
    expect(health(platform({ observedGeneration: 4, phase: 'Deleting', conditions: [deleting, blocked] }, { generation: 4, deleting: true }))).toEqual({
      status: 'Degraded',
      message: `Deleting: ${blocked.message}`,
    });
    expect(health(platform({ observedGeneration: 4, phase: 'Deleting', conditions: [deleting] }, { generation: 4, deleting: true, paused: true }))).toEqual({
      status: 'Suspended',
      message: 'Deleting: Paused (spec.paused): the operator makes no changes to this platform',
    });
  });

  it('a platform in Git but not in the cluster is Missing (Argo CD decides that without the script)', () => {
    expect(health(null)).toEqual({ status: 'Missing' });
  });

  it('gives Argo CD a valid status and a message for every phase and condition status the CRD allows', () => {
    const phases = (statusSchema.properties?.phase?.enum ?? []) as readonly string[];
    expect(phases).toContain('Updating');
    const objects = phases.flatMap((phase) =>
      (['True', 'False', 'Unknown'] as const).flatMap((s) =>
        [2, 3].flatMap((generation) =>
          [false, true].map((deleting) =>
            platform({ observedGeneration: 3, phase, conditions: [cond('Ready', s, 'R', ''), cond('Stalled', s === 'True' ? 'False' : s, 'S', '')] }, { generation, deleting }),
          ),
        ),
      ),
    );
    const results = argoHealth(cm, objects);
    expect(results).toHaveLength(objects.length);
    for (const [i, h] of results.entries()) {
      expect(h.error, JSON.stringify(objects[i])).toBeUndefined();
      expect(ARGO_HEALTH_STATUSES).toContain(h.status);
      expect(h.message, JSON.stringify(objects[i])).toBeTruthy();
    }
  });
});

describe('application-health.lua, through Argo CD', () => {
  const app = (status?: object) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'booking-operator', namespace: 'argocd' }, ...(status ? { status } : {}) });

  it('passes the child Application’s own health through, so app-of-apps waves wait for it', () => {
    expect(health(app())).toEqual({ status: 'Progressing' });
    expect(health(app({ health: { status: 'Healthy' } }))).toEqual({ status: 'Healthy' });
    expect(health(app({ health: { status: 'Degraded', message: 'Deployment booking-operator: 0/2 ready' } }))).toEqual({
      status: 'Degraded',
      message: 'Deployment booking-operator: 0/2 ready',
    });
  });
});
