/** The Argo CD health check for BookingPlatform, run as Argo CD runs it, on status samples. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statusSchema } from '../../operator/src/api/schema.ts';
import { ARGO_HEALTH_STATUSES, runHealthScript } from './lua-harness.ts';

const script = readFileSync(new URL('./health.lua', import.meta.url), 'utf8');

const T = '2025-01-01T00:00:00Z';
const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: T, observedGeneration: 3 });

function platform(status?: Record<string, unknown>, opts: { generation?: number; paused?: boolean } = {}) {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name: 'acme', namespace: 'acme', generation: opts.generation ?? 3 },
    spec: { paused: opts.paused ?? false, backend: { image: 'backend:1' } },
    ...(status ? { status } : {}),
  };
}

const ready = cond('Ready', 'True', 'Ready', 'All components are ready');
const notReady = cond('Ready', 'False', 'Provisioning', 'Waiting for DBInstance acme-db');
const stalled = cond('Stalled', 'True', 'InvalidSpec', 'database.version 9 is not offered by RDS');
const notStalled = cond('Stalled', 'False', 'NotStalled', 'ok');

describe('health.lua', () => {
  it('is Progressing with "Waiting for the operator" before the operator wrote any status', () => {
    expect(runHealthScript(script, platform())).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });
    expect(runHealthScript(script, platform({}))).toEqual({ status: 'Progressing', message: 'Waiting for the operator' });
  });

  it('is Healthy when Ready=True for the current generation', () => {
    const obj = platform({ observedGeneration: 3, phase: 'Ready', conditions: [ready, notStalled] });
    expect(runHealthScript(script, obj)).toEqual({ status: 'Healthy', message: 'All components are ready' });
  });

  it('is Progressing when Ready=True describes an older generation', () => {
    const obj = platform({ observedGeneration: 2, phase: 'Ready', conditions: [ready] }, { generation: 3 });
    const health = runHealthScript(script, obj);
    expect(health.status).toBe('Progressing');
    expect(health.message).toBe('Waiting for the operator to observe generation 3 (status is for 2)');
    expect(runHealthScript(script, platform({ phase: 'Ready', conditions: [ready] })).status).toBe('Progressing');
  });

  it('is Progressing with the Ready message while the platform comes up', () => {
    const obj = platform({ observedGeneration: 3, phase: 'Provisioning', conditions: [notReady, cond('Reconciling', 'True', 'Provisioning', 'creating')] });
    expect(runHealthScript(script, obj)).toEqual({ status: 'Progressing', message: 'Waiting for DBInstance acme-db' });
  });

  it('is Degraded with the Stalled message when Stalled=True', () => {
    const obj = platform({ observedGeneration: 3, phase: 'Degraded', conditions: [notReady, stalled] });
    expect(runHealthScript(script, obj)).toEqual({ status: 'Degraded', message: 'database.version 9 is not offered by RDS' });
    // stalled wins over a stale generation: the operator has given up on this spec
    expect(runHealthScript(script, platform({ observedGeneration: 1, conditions: [stalled] })).status).toBe('Degraded');
  });

  it('is Degraded when the phase is Failed', () => {
    const obj = platform({ observedGeneration: 3, phase: 'Failed', conditions: [cond('Ready', 'False', 'DatabaseFailed', 'DBInstance acme-db is in state failed')] });
    expect(runHealthScript(script, obj)).toEqual({ status: 'Degraded', message: 'DBInstance acme-db is in state failed' });
    expect(runHealthScript(script, platform({ phase: 'Failed' }))).toEqual({ status: 'Degraded', message: 'Failed' });
  });

  it('is Suspended when spec.paused is true, whatever the status says', () => {
    expect(runHealthScript(script, platform(undefined, { paused: true })).status).toBe('Suspended');
    const obj = platform({ observedGeneration: 3, phase: 'Paused', conditions: [ready] }, { paused: true });
    expect(runHealthScript(script, obj)).toEqual({ status: 'Suspended', message: 'Paused (spec.paused): the operator makes no changes to this platform' });
  });

  it('gives Argo CD a valid status for every phase and condition status the CRD allows', () => {
    const phases = (statusSchema.properties?.phase?.enum ?? []) as readonly string[];
    expect(phases.length).toBeGreaterThan(3);
    for (const phase of phases) {
      for (const s of ['True', 'False', 'Unknown'] as const) {
        for (const generation of [2, 3]) {
          const obj = platform({ observedGeneration: 3, phase, conditions: [cond('Ready', s, 'R', ''), cond('Stalled', s === 'True' ? 'False' : s, 'S', '')] }, { generation });
          const health = runHealthScript(script, obj);
          expect(ARGO_HEALTH_STATUSES).toContain(health.status);
          expect(health.message, `${phase}/${s}/${generation}`).toBeTruthy();
        }
      }
    }
  });

  it('sticks to Lua 5.1, which Argo CD runs (gopher-lua)', () => {
    const code = script.replace(/--.*$/gm, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(code).not.toMatch(/\bgoto\b|\/\/|<<|>>|\butf8\.|::\w+::/);
    expect(script).not.toMatch(/\bos\.|\bio\.|\brequire\b/);
  });
});

describe('application-health.lua', () => {
  const appScript = readFileSync(new URL('./application-health.lua', import.meta.url), 'utf8');

  it('passes the child Application’s own health through, so app-of-apps waves wait for it', () => {
    expect(runHealthScript(appScript, { kind: 'Application', metadata: { name: 'booking-operator' } })).toEqual({ status: 'Progressing', message: '' });
    expect(runHealthScript(appScript, { status: { health: { status: 'Healthy' } } })).toEqual({ status: 'Healthy', message: '' });
    expect(runHealthScript(appScript, { status: { health: { status: 'Degraded', message: 'Deployment booking-operator: 0/2 ready' } } })).toEqual({
      status: 'Degraded',
      message: 'Deployment booking-operator: 0/2 ready',
    });
  });
});
