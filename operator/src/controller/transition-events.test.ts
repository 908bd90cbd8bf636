/**
 * Events a user sees for a platform's Ready condition: a new platform on its way up is no Warning
 * (only its arrival at Ready is told); a platform that was up and falls is.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, wantedServices, type DataObservation, type DataServices } from '../data/types.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, withDatabase, withProvisioner } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';

const NS = 'ev';
const key = `${NS}/${NS}`;

/** The database is being created for `creating` passes, then usable; `lost` makes it unusable again. */
class Database implements DataServices {
  creating = 2;
  down = false;
  async observe(p: BookingPlatform, password: string | undefined): Promise<DataObservation> {
    const o: DataObservation = {};
    for (const s of wantedServices(p)) {
      if (s !== 'database') o[s] = ready();
      else if (this.creating-- > 0 || this.down) o.database = notReady('Creating', 'DBInstance is creating');
      else o.database = { ...ready(), connection: { engine: 'postgres', host: 'db.internal', port: 5432, name: 'booking', user: 'booking', password: password ?? 'x' } };
    }
    return o;
  }
  async remove() {
    return { done: true, message: '' };
  }
}

let events: Array<{ type: string; reason: string }>;
let cluster: FakeCluster;
let data: Database;
const reconciler = () =>
  new Reconciler({
    client: writerOf(cluster),
    store: cluster,
    dataServices: () => data,
    events: { normal: (_o: unknown, reason: string) => events.push({ type: 'Normal', reason }), warning: (_o: unknown, reason: string) => events.push({ type: 'Warning', reason }) } as unknown as EventRecorder,
    metrics: new Metrics({ defaults: false }),
    log: pino({ level: 'silent' }),
  });

beforeEach(() => {
  events = [];
  cluster = new FakeCluster();
  data = new Database();
  cluster.put(rawPlatform(NS, withProvisioner('sdk'), withDatabase()));
});

describe('Ready transitions as Events', () => {
  it('a new platform on its way up gets one Normal Ready Event, no Warning', async () => {
    const r = reconciler();
    for (let i = 0; i < 5; i++) await r.reconcile(key);
    expect(cluster.find('BookingPlatform', NS, NS)!.status?.conditions?.find((c: any) => c.type === 'Ready')?.status).toBe('True');
    expect(events.filter((e) => e.reason === 'Ready' || e.type === 'Warning')).toEqual([{ type: 'Normal', reason: 'Ready' }]);
  });

  it('a platform that was Ready and falls gets a Warning naming why', async () => {
    const r = reconciler();
    for (let i = 0; i < 5; i++) await r.reconcile(key);
    data.down = true;
    events = [];
    await r.reconcile(key);
    expect(events).toContainEqual({ type: 'Warning', reason: 'DatabaseNotReady' });
  });
});
