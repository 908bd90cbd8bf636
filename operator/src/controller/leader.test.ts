import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeLeases } from '../../test/fixtures/leases.ts';
import { LeaderElector } from './leader.ts';

const log = pino({ level: 'silent' });
const timings = { leaseDurationMs: 1_500, renewDeadlineMs: 400, retryPeriodMs: 50 };

describe('LeaderElector', () => {
  it('aborts a renewal that hangs and loses leadership at the renew deadline', async () => {
    const leases = new FakeLeases();
    const elector = new LeaderElector(leases.client, log, { namespace: 'default', name: 'l', identity: 'a', ...timings });
    expect(await elector.acquire()).toBe(true);
    expect(elector.isLeader()).toBe(true);
    leases.renewals = 'hang';
    await elector.hold(); // resolves: leadership lost (it hung for good before)
    expect(elector.isLeader()).toBe(false);
    expect(leases.signals.at(-1)?.aborted).toBe(true);
  }, 10_000);

  it('is no longer the leader once the renew deadline passes, whether or not hold() has noticed', async () => {
    const leases = new FakeLeases();
    const elector = new LeaderElector(leases.client, log, { namespace: 'default', name: 'l', identity: 'a', ...timings });
    expect(await elector.acquire()).toBe(true);
    // nothing renews (hold() not running): the fence falls at the deadline by itself
    for (let i = 0; i < 100 && elector.isLeader(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(elector.isLeader()).toBe(false);
  }, 10_000);

  it('keeps leadership while renewals succeed, and stops on stop()', async () => {
    const leases = new FakeLeases();
    const elector = new LeaderElector(leases.client, log, { namespace: 'default', name: 'l', identity: 'a', ...timings });
    expect(await elector.acquire()).toBe(true);
    const holding = elector.hold();
    await new Promise((r) => setTimeout(r, 3 * timings.renewDeadlineMs));
    expect(elector.isLeader()).toBe(true);
    elector.stop();
    await holding;
    expect(leases.lease?.spec?.holderIdentity).toBe('a');
  }, 10_000);
});
