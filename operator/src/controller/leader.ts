/**
 * Leader election on a coordination.k8s.io Lease, with client-go's algorithm and default timings
 * (lease 15 s, renew deadline 10 s, retry 2 s). Expiry is judged by when *we* last saw the record
 * change, not by the holder's clock, so clock skew between replicas cannot steal a live lease.
 * On shutdown the lease is released (holder cleared, 1 s duration) so a successor starts at once.
 *
 * The renew deadline is a hard bound: a renewal still unanswered at the deadline is aborted and
 * leadership is lost then, and isLeader() turns false at the deadline on its own (it is the fence
 * workers and writes check), so a replica never acts on a lease it may no longer hold. The lease
 * outlives the deadline by 5 s, so the old leader stops before a successor can start.
 */
import type { Logger } from 'pino';
import { KubeError, type KubeClient, type Obj } from '../kube/client.ts';
import { Sleeper } from '../util/sleeper.ts';

/** What the elector needs from the apiserver (a fake in unit tests). */
export type LeaseClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly log: Logger;
  private readonly opts: Required<LeaderOptions>;
  private observed?: { record: string; at: number };
  private leading = false;
  /** When the last successful acquire/renew was sent (the lease is ours from then on). */
  private renewedAt = 0;
  private stopped = false;
  private readonly sleeper = new Sleeper();

  constructor(client: LeaseClient, log: Logger, opts: LeaderOptions) {
    this.client = client;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  /** True while we hold the lease and last renewed it within the renew deadline (checked now). */
  isLeader(): boolean {
    return this.leading && Date.now() < this.deadline();
  }

  /**
   * Blocks until leadership is acquired (resolves true) or stop() is called (false).
   */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      const sent = Date.now();
      if (await this.attempt(sent + this.opts.renewDeadlineMs)) {
        this.renewedAt = sent;
        this.leading = true;
        this.log.info('became leader');
        return true;
      }
      await this.sleeper.sleep(this.opts.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    return false;
  }

  /**
   * Renews every retry period until stop() is called, or until leadership is lost (resolves):
   * no renewal succeeded within the renew deadline of the last one.
   */
  async hold(): Promise<void> {
    while (!this.stopped) {
      await this.sleeper.sleep(Math.min(this.opts.retryPeriodMs, Math.max(0, this.deadline() - Date.now())));
      if (this.stopped) break;
      const sent = Date.now();
      if (sent < this.deadline() && (await this.attempt(this.deadline()))) {
        this.renewedAt = sent;
      } else if (Date.now() >= this.deadline()) {
        this.leading = false;
        this.log.error({ renewDeadlineMs: this.opts.renewDeadlineMs }, 'lost leadership: could not renew the lease in time');
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

  private deadline(): number {
    return this.renewedAt + this.opts.renewDeadlineMs;
  }

  /** One acquire/renew, abandoned at `deadline` (its request aborted, however it is stuck). */
  private async attempt(deadline: number): Promise<boolean> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([this.tryAcquireOrRenew(abort.signal), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
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
      const lease = await this.client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace }, { signal });
      if (!lease) {
        await this.client.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: desiredSpec() }, { signal });
        return true;
      }
      const record = JSON.stringify(lease.spec ?? {});
      if (this.observed?.record !== record) this.observed = { record, at: now };
      const holder = lease.spec?.holderIdentity as string | undefined;
      const duration = ((lease.spec?.leaseDurationSeconds as number | undefined) ?? 15) * 1000;
      if (holder && holder !== identity && this.observed.at + duration > now) return false;
      await this.client.replace({ ...lease, spec: desiredSpec(lease.spec) }, { signal });
      return true;
    } catch (err) {
      if (signal.aborted) this.log.warn('lease request aborted at the deadline');
      else if (!(err instanceof KubeError && err.code === 409)) this.log.warn({ err: (err as Error).message }, 'lease update failed');
      return false;
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
