/**
 * Leader election on a coordination.k8s.io Lease, with client-go's algorithm and default timings
 * (lease 15 s, renew deadline 10 s, retry 2 s). Expiry is judged by when *we* last saw the record
 * change, not by the holder's clock, so clock skew between replicas cannot steal a live lease.
 * On shutdown the lease is released (holder cleared, 1 s duration) so a successor starts at once.
 */
import type { Logger } from 'pino';
import { KubeError, type KubeClient, type Obj } from '../kube/client.ts';
import { Sleeper } from '../util/sleeper.ts';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly opts: Required<LeaderOptions>;
  private observed?: { record: string; at: number };
  private leading = false;
  private stopped = false;
  private readonly sleeper = new Sleeper();

  constructor(client: KubeClient, log: Logger, opts: LeaderOptions) {
    this.client = client;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Blocks until leadership is acquired (resolves true) or stop() is called (false).
   */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info('became leader');
        return true;
      }
      await this.sleeper.sleep(this.opts.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    return false;
  }

  /** Renews until leadership is lost (resolves) or stop() is called. */
  async hold(): Promise<void> {
    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleeper.sleep(this.opts.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.opts.renewDeadlineMs) {
        this.leading = false;
        this.log.error('lost leadership: could not renew the lease in time');
        return;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.sleeper.interrupt();
  }

  /** Gives the lease up (only if we hold it). */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: this.opts.name, namespace: this.opts.namespace });
      if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
      const now = microTime(Date.now());
      await this.client.replace({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs } = this.opts;
    const now = Date.now();
    const desiredSpec = (old?: Obj['spec']) => {
      const changedHolder = old?.holderIdentity !== identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.round(leaseDurationMs / 1000),
        acquireTime: changedHolder || !old?.acquireTime ? microTime(now) : old.acquireTime,
        renewTime: microTime(now),
        leaseTransitions: (old?.leaseTransitions ?? 0) + (changedHolder && old?.holderIdentity ? 1 : 0),
      };
    };
    try {
      const lease = await this.client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace });
      if (!lease) {
        await this.client.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: desiredSpec() });
        return true;
      }
      const record = JSON.stringify(lease.spec ?? {});
      if (this.observed?.record !== record) this.observed = { record, at: now };
      const holder = lease.spec?.holderIdentity as string | undefined;
      const duration = ((lease.spec?.leaseDurationSeconds as number | undefined) ?? 15) * 1000;
      if (holder && holder !== identity && this.observed.at + duration > now) return false;
      await this.client.replace({ ...lease, spec: desiredSpec(lease.spec) });
      return true;
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 409)) this.log.warn({ err: (err as Error).message }, 'lease update failed');
      return false;
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
