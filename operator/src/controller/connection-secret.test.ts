/**
 * `render` and the reconciler agree on the objects of a platform: the `<name>-connection` Secret is
 * applied only when the platform has a data service to connect to (then it carries the connection),
 * never as an empty Secret that `render` does not show.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { KIND } from '../api/schema.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { parsePlatform } from '../api/platform.ts';
import { notReady, ready, wantedServices, type DataObservation, type DataServices } from '../data/types.ts';
import { renderPlatform } from '../render/index.ts';
import { FakeCluster, writerOf } from '../../test/fixtures/fake-cluster.ts';
import { rawPlatform, set, withDatabase, withProvisioner, type Modifier } from '../../test/fixtures/platform.ts';
import type { EventRecorder } from './events.ts';
import { Metrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';

/** Every wanted service usable at once (the database with a connection). */
const usable: DataServices = {
  async observe(p: BookingPlatform, password: string | undefined): Promise<DataObservation> {
    const o: DataObservation = {};
    for (const s of wantedServices(p)) {
      if (s === 'database') o.database = password ? { ...ready(), connection: { engine: 'postgres', host: 'db.internal', port: 5432, name: 'booking', user: 'booking', password } } : notReady('PasswordPending', 'no password');
      else o[s] = ready();
    }
    return o;
  },
  remove: async () => ({ done: true, message: 'done' }),
  rotatePassword: async () => ({ done: true, message: 'rotated' }),
};

const recorder = { normal: () => undefined, warning: () => undefined } as unknown as EventRecorder;
const NS = 'shop';
let cluster: FakeCluster;

beforeEach(() => {
  cluster = new FakeCluster();
});

async function reconcileOnce(...mods: Modifier[]): Promise<{ applied: string[]; rendered: string[] }> {
  const raw = cluster.put(rawPlatform(NS, ...mods));
  const r = new Reconciler({ client: writerOf(cluster), store: cluster, dataServices: () => usable, events: recorder, metrics: new Metrics({ defaults: false }), log: pino({ level: 'silent' }) });
  await r.reconcile(`${NS}/${NS}`);
  const parsed = parsePlatform(raw);
  if (!parsed.ok) throw new Error('fixture invalid');
  const applied = cluster.writesOf('apply').filter((w) => w.kind !== KIND).map((w) => `${w.kind}/${w.name}`);
  const rendered = renderPlatform(parsed.platform).map((o) => `${o.kind}/${o.metadata.name}`);
  return { applied: [...new Set(applied)].sort(), rendered: rendered.sort() };
}

describe('the connection Secret', () => {
  it('is not applied for a platform without data services: apply and render show the same objects', async () => {
    const { applied, rendered } = await reconcileOnce(withProvisioner('external'), set('aws', undefined));
    expect(applied).not.toContain(`Secret/${NS}-connection`);
    expect(applied).toEqual(rendered);
  });

  it('is applied, with the connection, when the platform has a database', async () => {
    await reconcileOnce(withProvisioner('sdk'), withDatabase());
    const secret = cluster.find('Secret', NS, `${NS}-connection`);
    expect(Buffer.from(String(secret?.data?.DB_HOST), 'base64').toString()).toBe('db.internal');
  });
});
