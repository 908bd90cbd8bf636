/** What the service modules share: clients, logger, the status test seam, tags, lifecycle states. */
import type { Logger } from 'pino';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, usableNotConverged, type ServiceState } from '../data/types.ts';
import { awsTags, CLUSTER_TAG, PLATFORM_TAG, type RenderContext } from '../render/names.ts';
import type { AwsClients } from './clients.ts';
import { call, stateForError } from './errors.ts';

/**
 * Test seam: sees every lifecycle status read from a describe call and may answer another one
 * (undefined keeps AWS's). Emulators make everything available at once; this lets a test see
 * "creating".
 */
export type StatusOverride = (r: { kind: string; id: string; status: string | undefined }) => string | undefined;

export interface AwsContext {
  clients: AwsClients;
  region: string;
  log: Logger;
  statusOverride?: StatusOverride;
  /** The operator's cluster identity: part of every identifier and of the owner check. */
  render: RenderContext;
}

/** One service's part of a finalize pass. */
export interface Step {
  done: boolean;
  message: string;
  /** What stays in AWS once done (retained resource, final snapshot). */
  left?: string;
}

export { lost } from '../data/lost.ts';

export { CLUSTER_TAG, PLATFORM_TAG };

/** The lifecycle status of a resource as this provider sees it (through the test seam). */
export function lifecycle(ctx: AwsContext, kind: string, id: string, status: string | undefined): string | undefined {
  return ctx.statusOverride?.({ kind, id, status }) ?? status;
}

export { classifyLifecycle, combine, lifecycleState } from '../data/lifecycle.ts';

/**
 * Sends one drift correction to a resource whose status allows it, and says what that leaves:
 * a usable resource stays usable, not converged (a later pass sees AWS at work, then checks again);
 * a failed call on a usable resource is quoted and does not take the resource away from the
 * workloads (a permanent rejection is marked terminal so it is not retried every pass).
 */
export async function correctDrift(
  ctx: AwsContext,
  before: ServiceState,
  r: { kind: string; id: string; action: string; fields: string[]; what: string },
  send: () => Promise<unknown>,
): Promise<ServiceState> {
  ctx.log.info({ kind: r.kind, id: r.id, fields: r.fields }, 'correcting drift');
  try {
    await call(`${r.action} ${r.id}`, send);
  } catch (err) {
    if (!before.ready) throw err;
    const failed = stateForError(err);
    ctx.log.warn({ kind: r.kind, id: r.id, reason: failed.reason, message: failed.message }, 'drift correction failed; the resource stays usable');
    return { ...usableNotConverged(`${r.kind} ${r.id} is usable; ${failed.message}`), ...(failed.terminal ? { terminal: true } : {}) };
  }
  return before.ready ? usableNotConverged(`${r.kind} ${r.id} is usable; applying ${r.what}`) : notReady('Modifying', `${before.message}; applying ${r.what}`);
}

/** AWS tags as the `[{Key, Value}]` list most APIs take, sorted. */
export function tagList(ctx: AwsContext, p: BookingPlatform, extra: Record<string, string> = {}): Array<{ Key: string; Value: string }> {
  return Object.entries({ ...awsTags(p, ctx.render), ...extra })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

type Tags = Array<{ Key?: string; Value?: string }> | undefined;

/**
 * Whether a resource carries this platform's cluster and platform tags: only those are ever
 * modified, tagged, mounted or deleted (a resource of an earlier build has no cluster tag).
 */
export function ownedBy(ctx: AwsContext, p: BookingPlatform, tags: Tags): boolean {
  const want = awsTags(p, ctx.render);
  const has = (key: string) => (tags ?? []).some((t) => t.Key === key && t.Value === want[key]);
  return has(PLATFORM_TAG) && has(CLUSTER_TAG);
}

/** Terminal: a resource under our identifier that is not this platform's is left alone. */
export function notOwned(ctx: AwsContext, p: BookingPlatform, kind: string, id: string, tags: Tags): ServiceState {
  const owner = (key: string) => `${key}=${(tags ?? []).find((t) => t.Key === key)?.Value ?? '(none)'}`;
  const want = awsTags(p, ctx.render);
  return notReady(
    'NotOwned',
    `${kind} ${id} exists but is not this platform's: it carries ${owner(CLUSTER_TAG)}, ${owner(PLATFORM_TAG)} (this platform: ${CLUSTER_TAG}=${want[CLUSTER_TAG]}, ${PLATFORM_TAG}=${want[PLATFORM_TAG]}); it is left alone (to hand it to this platform, give it these two tags)`,
    true,
  );
}

export const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export const description = (p: BookingPlatform) => `BookingPlatform ${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
