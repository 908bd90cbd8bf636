/**
 * The AWS SDK provider (`provisioner: sdk`): the same cloud resources the ACK renderers describe,
 * created and corrected by direct AWS calls.
 *
 * Every pass is describe → create-if-missing → compare → modify, by deterministic identifiers,
 * so a crash between a create and the status write never leaks a second resource. Waiting is a
 * requeue (`requeueAfterMs`), never a sleep. Each service is observed on its own: one failing
 * service reports its own state (transient: not ready, look again; permanent: terminal, the AWS
 * message quoted) and does not hide the others.
 *
 * Every AWS call ends by a deadline (clients.ts), and at most `maxConcurrent` platforms are in
 * AWS calls at once: another is refused at once with ProviderBusyError (a requeue), so platforms
 * stuck on a slow endpoint never hold every reconcile worker.
 *
 * A settled observation (every service usable and converged, or terminal) is reused for the requeue
 * interval: a reconcile caused by an owned object's event (each pod of a rollout moves a
 * Deployment's status) recomputes status without AWS calls, and asks to come back when the
 * interval is over: a change made in AWS (a database deleted outside) is seen at most one interval
 * after the last such event. It is looked at afresh at once when the spec (generation), the master
 * password or the lost-service hints change, after a pass in which this provider wrote to AWS, and
 * after any removal or rotation.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ProviderBusyError, settling, wantedServices, type DataObservation, type DataServices, type FinalizeResult, type ObserveOptions, type RemoveOptions, type ServiceName, type ServiceState } from '../data/types.ts';
import { clientPool, type AwsClients, type AwsCredentials } from './clients.ts';
import type { AwsContext, StatusOverride } from './context.ts';
import { finalizeFileSystem, observeFileSystem } from './efs.ts';
import { finalizeCache, observeCache } from './elasticache.ts';
import { stateForError } from './errors.ts';
import { finalizeDatabase, observeDatabase, rotateMasterPassword } from './rds.ts';
import { finalizeUploads, observeUploads } from './s3.ts';

export type { StatusOverride } from './context.ts';

export interface SdkOptions {
  /** Default region (a platform's spec.aws.region wins). */
  region: string;
  /** Endpoint override for every service (moto, LocalStack). */
  endpoint?: string;
  log: Logger;
  /** Attempts per AWS call in the SDK's standard retry mode (default 5). */
  maxAttempts?: number;
  /** Static credentials; default: the SDK's default credential chain. */
  credentials?: AwsCredentials;
  /** How soon to look again while something is being created or changed (default 15 s). */
  requeueAfterMs?: number;
  /** Test seam: see or replace lifecycle statuses read from AWS. */
  statusOverride?: StatusOverride;
  /** Test seam: the clients for a region (default: built from the options above). */
  clients?: (region: string) => AwsClients;
  /** Per attempt: time to connect (default 5 s). */
  connectTimeoutMs?: number;
  /** Per attempt: the longest silence before or within an answer (default 30 s). */
  requestTimeoutMs?: number;
  /** Per AWS call, retries included (default 60 s). */
  callTimeoutMs?: number;
  /** Platforms in AWS calls at once; another is refused with ProviderBusyError (default 2). */
  maxConcurrent?: number;
  /**
   * The operator's cluster identity (BOOKING_CLUSTER_NAME), part of every AWS identifier and of
   * the owner tags. Required: without it nothing is created, changed or deleted.
   */
  clusterName?: string;
  /** How long a settled observation is reused (default: `requeueAfterMs`; 0: never). */
  observationTtlMs?: number;
  /** Test seam: milliseconds now (default Date.now). */
  now?: () => number;
}

export const DEFAULT_REQUEUE_MS = 15_000;
export const DEFAULT_MAX_CONCURRENT = 2;
/** When a refused platform looks again: slots free within about one call deadline, usually far sooner. */
export const BUSY_RETRY_MS = 5_000;

const NO_CLUSTER_NAME =
  'provisioner sdk needs the operator\'s cluster identity (BOOKING_CLUSTER_NAME; chart value clusterName): without it AWS identifiers and owner tags would be ambiguous between clusters';

export class SdkDataServices implements DataServices {
  private readonly opts: SdkOptions;
  private readonly clients: (region: string) => AwsClients;
  /** Platforms in AWS calls now, with how many calls each (observe, remove per service, …). */
  private readonly admitted = new Map<string, number>();
  /** Each platform's last settled observation, with what it was observed for and when. */
  private readonly settled = new Map<string, { inputs: string; at: number; o: DataObservation }>();

  constructor(opts: SdkOptions) {
    this.opts = opts;
    const { endpoint, maxAttempts, credentials, connectTimeoutMs, requestTimeoutMs, callTimeoutMs } = opts;
    this.clients = opts.clients ?? clientPool({ endpoint, maxAttempts, credentials, connectTimeoutMs, requestTimeoutMs, callTimeoutMs });
  }

  async observe(p: BookingPlatform, masterPassword: string | undefined, opts: ObserveOptions = {}): Promise<DataObservation> {
    const o: DataObservation = {};
    const wanted = wantedServices(p);
    if (!p.spec.aws) {
      for (const s of wanted) o[s] = notReady('NoAwsSpec', 'provisioner sdk needs spec.aws (region, subnetIds, securityGroupIds)', true);
      return o;
    }
    if (!this.opts.clusterName) {
      for (const s of wanted) o[s] = notReady('NoClusterName', NO_CLUSTER_NAME, true);
      return o;
    }
    const platform = platformKey(p);
    const inputs = observationInputs(p, masterPassword, opts);
    const now = this.opts.now ?? Date.now;
    const ttl = this.opts.observationTtlMs ?? this.opts.requeueAfterMs ?? DEFAULT_REQUEUE_MS;
    const known = this.settled.get(platform);
    // answered from memory: look again once it expires, so a change made in AWS meanwhile is seen then
    if (known && known.inputs === inputs && now() - known.at < ttl) return { ...structuredClone(known.o), requeueAfterMs: Math.max(1_000, ttl - (now() - known.at)) };
    this.settled.delete(platform);
    let wrote = false;
    const ctx = this.context(p, () => (wrote = true));
    const release = this.admit(p);
    const lost = (s: ServiceName) => (opts.existed ?? []).includes(s);
    const run = async (service: ServiceName, fn: () => Promise<ServiceState>): Promise<void> => {
      let state: ServiceState;
      try {
        state = await fn();
      } catch (err) {
        state = stateForError(err, masterPassword);
        ctx.log.warn({ service, reason: state.reason, terminal: Boolean(state.terminal), message: state.message }, 'AWS call failed');
      }
      (o as Record<string, ServiceState>)[service] = state;
    };
    try {
      await Promise.all(
        wanted.map((s) =>
          s === 'database'
            ? run(s, () => observeDatabase(ctx, p, masterPassword, lost(s)))
            : s === 'cache'
              ? run(s, () => observeCache(ctx, p))
              : s === 'fileSystem'
                ? run(s, () => observeFileSystem(ctx, p, lost(s)))
                : run(s, () => observeUploads(ctx, p, lost(s))),
        ),
      );
    } finally {
      release();
    }
    // look again while anything is not usable yet or not converged (drift waits for AWS to finish its work)
    if (wanted.some((s) => settling(o[s]))) o.requeueAfterMs = this.opts.requeueAfterMs ?? DEFAULT_REQUEUE_MS;
    else if (!wrote && ttl > 0) this.remember(platform, { inputs, at: now(), o: structuredClone(o) }, now());
    return o;
  }

  /** Keeps a settled observation; drops the expired ones of other platforms (deleted or quiet). */
  private remember(platform: string, entry: { inputs: string; at: number; o: DataObservation }, now: number): void {
    const ttl = this.opts.observationTtlMs ?? this.opts.requeueAfterMs ?? DEFAULT_REQUEUE_MS;
    for (const [k, v] of this.settled) if (now - v.at >= ttl) this.settled.delete(k);
    this.settled.set(platform, entry);
  }

  async remove(p: BookingPlatform, service: ServiceName, opts: RemoveOptions): Promise<FinalizeResult> {
    if (!p.spec.aws) return { done: true, message: 'no spec.aws: nothing was created' };
    // nothing can be found (or told apart from another cluster's) without it: never guess
    if (!this.opts.clusterName) return { done: false, message: NO_CLUSTER_NAME };
    this.settled.delete(platformKey(p));
    const ctx = this.context(p);
    const release = this.admit(p);
    try {
      return service === 'database'
        ? await finalizeDatabase(ctx, p, opts.finalSnapshot)
        : service === 'cache'
          ? await finalizeCache(ctx, p)
          : service === 'fileSystem'
            ? await finalizeFileSystem(ctx, p)
            : await finalizeUploads(ctx, p);
    } catch (err) {
      const state = stateForError(err);
      ctx.log.warn({ service, reason: state.reason, message: state.message }, 'AWS call failed during removal');
      return { done: false, message: state.message };
    } finally {
      release();
    }
  }

  async rotatePassword(p: BookingPlatform, password: string): Promise<FinalizeResult> {
    if (!this.opts.clusterName) return { done: false, message: NO_CLUSTER_NAME };
    this.settled.delete(platformKey(p));
    const ctx = this.context(p);
    const release = this.admit(p);
    try {
      return await rotateMasterPassword(ctx, p, password);
    } catch (err) {
      const state = stateForError(err, password);
      ctx.log.warn({ service: 'database', reason: state.reason, message: state.message }, 'AWS call failed while rotating the master password');
      return { done: false, message: state.message };
    } finally {
      release();
    }
  }

  /**
   * Admits a platform into AWS calls, or throws ProviderBusyError when `maxConcurrent` others are
   * in; a platform already in (its services removed in parallel) is never refused. Never waits.
   */
  private admit(p: BookingPlatform): () => void {
    const key = platformKey(p);
    const max = this.opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    const calls = this.admitted.get(key) ?? 0;
    if (!calls && this.admitted.size >= max) {
      throw new ProviderBusyError(`provisioner sdk: ${this.admitted.size} platforms already in AWS calls (at most ${max} at once); ${key} looks again shortly`, BUSY_RETRY_MS);
    }
    this.admitted.set(key, calls + 1);
    return () => {
      const left = (this.admitted.get(key) ?? 1) - 1;
      if (left > 0) this.admitted.set(key, left);
      else this.admitted.delete(key);
    };
  }

  /** `onWrite`: told of every AWS call that is not a read (Describe, Get, List, Head). */
  private context(p: BookingPlatform, onWrite?: () => void): AwsContext {
    const region = p.spec.aws?.region ?? this.opts.region;
    return {
      clients: onWrite ? watchWrites(this.clients(region), onWrite) : this.clients(region),
      region,
      log: this.opts.log.child({ provider: 'sdk', platform: `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, region }),
      statusOverride: this.opts.statusOverride,
      // every entry point returns early without it
      render: { clusterName: this.opts.clusterName! },
    };
  }
}

const platformKey = (p: BookingPlatform) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;

/** What an observation depends on besides AWS: the spec, the master password, the lost-service hints. */
function observationInputs(p: BookingPlatform, masterPassword: string | undefined, opts: ObserveOptions): string {
  const password = masterPassword === undefined ? '' : createHash('sha256').update(masterPassword).digest('base64');
  return JSON.stringify([p.metadata.uid, p.metadata.generation, p.spec, password, [...(opts.existed ?? [])].sort()]);
}

const READ_CALL = /^(Describe|Get|List|Head)/;

/** The same clients, each `send` of a non-read command reported to `onWrite` first. */
function watchWrites(clients: AwsClients, onWrite: () => void): AwsClients {
  const watched = {} as Record<string, unknown>;
  for (const [name, client] of Object.entries(clients) as Array<[string, { send: (...a: unknown[]) => unknown }]>) {
    watched[name] = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string } }, ...rest: unknown[]) => {
          if (!READ_CALL.test(command.constructor.name)) onWrite();
          return target.send(command, ...rest);
        };
      },
    });
  }
  return watched as unknown as AwsClients;
}

export function createSdkProvider(opts: SdkOptions): DataServices {
  return new SdkDataServices(opts);
}
