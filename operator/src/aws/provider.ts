/**
 * The AWS SDK provider (`provisioner: sdk`): the same cloud resources the ACK renderers describe,
 * created and corrected by direct AWS calls.
 *
 * Every pass is describe → create-if-missing → compare → modify, by deterministic identifiers,
 * so a crash between a create and the status write never leaks a second resource. Waiting is a
 * requeue (`requeueAfterMs`), never a sleep. Each service is observed on its own: one failing
 * service reports its own state (transient: not ready, look again; permanent: terminal, the AWS
 * message quoted) and does not hide the others.
 */
import type { Logger } from 'pino';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, wantedServices, type DataObservation, type DataServices, type FinalizeResult, type ServiceName, type ServiceState } from '../data/types.ts';
import { clientPool, type AwsClients, type AwsCredentials } from './clients.ts';
import type { AwsContext, StatusOverride, Step } from './context.ts';
import { finalizeFileSystem, observeFileSystem } from './efs.ts';
import { finalizeCache, observeCache } from './elasticache.ts';
import { stateForError } from './errors.ts';
import { finalizeDatabase, observeDatabase } from './rds.ts';
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
}

export const DEFAULT_REQUEUE_MS = 15_000;

export class SdkDataServices implements DataServices {
  private readonly opts: SdkOptions;
  private readonly clients: (region: string) => AwsClients;

  constructor(opts: SdkOptions) {
    this.opts = opts;
    this.clients = opts.clients ?? clientPool({ endpoint: opts.endpoint, maxAttempts: opts.maxAttempts, credentials: opts.credentials });
  }

  async observe(p: BookingPlatform, masterPassword: string | undefined): Promise<DataObservation> {
    const o: DataObservation = {};
    const wanted = wantedServices(p);
    if (!p.spec.aws) {
      for (const s of wanted) o[s] = notReady('NoAwsSpec', 'provisioner sdk needs spec.aws (region, subnetIds, securityGroupIds)', true);
      return o;
    }
    const ctx = this.context(p);
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
    await Promise.all(
      wanted.map((s) =>
        s === 'database'
          ? run(s, () => observeDatabase(ctx, p, masterPassword))
          : s === 'cache'
            ? run(s, () => observeCache(ctx, p))
            : s === 'fileSystem'
              ? run(s, () => observeFileSystem(ctx, p))
              : run(s, () => observeUploads(ctx, p)),
      ),
    );
    if (wanted.some((s) => o[s] && !o[s]!.ready && !o[s]!.terminal)) o.requeueAfterMs = this.opts.requeueAfterMs ?? DEFAULT_REQUEUE_MS;
    return o;
  }

  async finalize(p: BookingPlatform): Promise<FinalizeResult> {
    if (!p.spec.aws) return { done: true, message: 'no spec.aws: nothing was created' };
    const ctx = this.context(p);
    const run = async (service: ServiceName, fn: () => Promise<Step>): Promise<Step & { service: ServiceName }> => {
      try {
        return { service, ...(await fn()) };
      } catch (err) {
        const state = stateForError(err);
        ctx.log.warn({ service, reason: state.reason, message: state.message }, 'AWS call failed during cleanup');
        return { service, done: false, message: state.message };
      }
    };
    const steps = await Promise.all(
      wantedServices(p).map((s) =>
        s === 'database'
          ? run(s, () => finalizeDatabase(ctx, p))
          : s === 'cache'
            ? run(s, () => finalizeCache(ctx, p))
            : s === 'fileSystem'
              ? run(s, () => finalizeFileSystem(ctx, p))
              : run(s, () => finalizeUploads(ctx, p)),
      ),
    );
    const pending = steps.filter((s) => !s.done);
    if (pending.length) return { done: false, message: pending.map((s) => `${s.service}: ${s.message}`).join('; ') };
    return { done: true, message: steps.length ? steps.map((s) => `${s.service}: ${s.message}`).join('; ') : 'no AWS data services' };
  }

  private context(p: BookingPlatform): AwsContext {
    const region = p.spec.aws?.region ?? this.opts.region;
    return {
      clients: this.clients(region),
      region,
      log: this.opts.log.child({ provider: 'sdk', platform: `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, region }),
      statusOverride: this.opts.statusOverride,
    };
  }
}

export function createSdkProvider(opts: SdkOptions): DataServices {
  return new SdkDataServices(opts);
}
