/**
 * provisioner sdk against moto: a settled observation is reused for the requeue interval, so the
 * reconciles an owned object's events cause (each pod of a rollout moves its Deployment's status)
 * cost no AWS calls; a spec change, the interval's end, a removal and a pass that wrote to AWS
 * each make the next observation look at AWS again.
 */
import { describe, expect, it } from 'vitest';
import type { SdkOptions } from '../../src/aws/provider.ts';
import { createSdkProvider } from '../../src/aws/provider.ts';
import type { BookingPlatform } from '../../src/api/types.generated.ts';
import { set, withCache, withDatabase, withUploads, type Modifier } from '../fixtures/platform.ts';
import { captureLog, converge, CLUSTER, motoClients, PASSWORD, REGION, sdkPlatform, useMoto, type Moto, type Network } from './moto.ts';

let moto: Moto;
let net: Network;

useMoto((env) => ({ moto, net } = env));

/** A provider whose AWS calls are counted (one entry per call, retries not included), with a clock. */
function countingProvider(extra: Partial<SdkOptions> = {}) {
  const clients = motoClients(moto.endpoint);
  const calls: string[] = [];
  for (const c of Object.values(clients)) {
    (c.middlewareStack as any).add((next: any, context: any) => async (args: any) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    }, { step: 'initialize', name: 'countCalls' });
  }
  const clock = { now: 1_000_000 };
  const dp = createSdkProvider({ region: REGION, log: captureLog().log, clients: () => clients, clusterName: CLUSTER, requeueAfterMs: 15_000, now: () => clock.now, ...extra } as SdkOptions);
  return { dp, calls, clock };
}

const withData = (name: string, ...more: Modifier[]): BookingPlatform => {
  const p = sdkPlatform(name, net, withDatabase(), withCache(), withUploads(), ...more);
  p.metadata.generation = 1;
  return p;
};

describe('observations of a settled platform', () => {
  it('a rollout of 10 pods (10 reconciles in the requeue interval) costs no AWS call; the interval over, AWS is asked again', async () => {
    const p = withData('roll');
    const { dp, calls, clock } = countingProvider();
    await converge(dp, p);
    clock.now += 15_000;
    calls.length = 0;
    const first = await dp.observe(p, PASSWORD);
    const perPass = calls.length;
    expect(perPass).toBeGreaterThanOrEqual(10);
    expect(first.database).toMatchObject({ ready: true });

    calls.length = 0;
    for (let pod = 1; pod <= 10; pod++) {
      clock.now += 1_000;
      const { requeueAfterMs, ...o } = await dp.observe(p, PASSWORD);
      expect(o).toEqual(first);
      // asked back when the interval is over: a change made in AWS meanwhile is seen then
      expect(requeueAfterMs).toBe(15_000 - pod * 1_000);
    }
    expect(calls).toEqual([]);

    clock.now += 5_000;
    await dp.observe(p, PASSWORD);
    expect(calls.length).toBe(perPass);
  });

  it('a spec change (new generation), another password or a lost-service hint is looked at in AWS at once', async () => {
    const p = withData('inputs');
    const { dp, calls } = countingProvider();
    await converge(dp, p);
    await dp.observe(p, PASSWORD);
    calls.length = 0;

    const changed = withData('inputs', set('database', { engine: 'postgres', version: '16', backupRetentionDays: 9 }));
    changed.metadata.generation = 2;
    await dp.observe(changed, PASSWORD);
    expect(calls.filter((c) => c === 'ModifyDBInstance')).toEqual(['ModifyDBInstance']);

    // the pass that wrote (the Modify) is not reused, nor is a settling one
    calls.length = 0;
    await converge(dp, changed);
    expect(calls.length).toBeGreaterThan(0);
    await dp.observe(changed, PASSWORD);
    calls.length = 0;
    await dp.observe(changed, PASSWORD);
    expect(calls).toEqual([]);

    await dp.observe(changed, 'another-password-1234567890abcdef');
    expect(calls.length).toBeGreaterThan(0);
    calls.length = 0;
    await dp.observe(changed, PASSWORD, { existed: ['database'] });
    expect(calls.length).toBeGreaterThan(0);
  });

  it('after a removal the next observation asks AWS', async () => {
    const p = withData('removed');
    const { dp, calls } = countingProvider();
    await converge(dp, p);
    await dp.observe(p, PASSWORD);
    await dp.remove(p, 'uploads', {});
    calls.length = 0;
    await dp.observe(p, PASSWORD);
    expect(calls.length).toBeGreaterThan(0);
  });

  it('observationTtlMs 0 turns the reuse off', async () => {
    const p = withData('nottl');
    const { dp, calls } = countingProvider({ observationTtlMs: 0 });
    await converge(dp, p);
    calls.length = 0;
    await dp.observe(p, PASSWORD);
    expect(calls.length).toBeGreaterThan(0);
  });
});
