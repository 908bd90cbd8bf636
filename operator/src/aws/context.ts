/** What the service modules share: clients, logger, the status test seam, tags, lifecycle states. */
import type { Logger } from 'pino';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, type ServiceState } from '../data/types.ts';
import { awsTags } from '../render/names.ts';
import type { AwsClients } from './clients.ts';

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
}

/** One service's part of a finalize pass. */
export interface Step {
  done: boolean;
  message: string;
}

export const PLATFORM_TAG = 'booking.io/platform';

/** The lifecycle status of a resource as this provider sees it (through the test seam). */
export function lifecycle(ctx: AwsContext, kind: string, id: string, status: string | undefined): string | undefined {
  return ctx.statusOverride?.({ kind, id, status }) ?? status;
}

/** `available` is usable; anything else is a wait that quotes AWS's own status. */
export function lifecycleState(kind: string, id: string, status: string | undefined): ServiceState {
  if (status === 'available') return ready(`${kind} ${id} is available`);
  const msg = `${kind} ${id}: AWS status "${status ?? 'not reported yet'}"`;
  const s = status ?? '';
  if (/^(failed|create-failed|error)$/.test(s)) return notReady('Failed', msg, true);
  if (s === '' || /^(creating|backing-up|configuring|starting|pending)/.test(s)) return notReady('Creating', msg);
  if (/^(deleting|deleted)$/.test(s)) return notReady('Deleting', msg);
  if (/modifying|upgrading|rebooting|renaming|resetting|maintenance|optimization|snapshotting|updating|scaling/.test(s)) return notReady('Modifying', msg);
  return notReady('NotAvailable', msg);
}

/** AWS tags as the `[{Key, Value}]` list most APIs take, sorted. */
export function tagList(p: BookingPlatform, extra: Record<string, string> = {}): Array<{ Key: string; Value: string }> {
  return Object.entries({ ...awsTags(p), ...extra })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

/** Whether a resource carries this platform's tag: only those are ever deleted. */
export function ownedBy(p: BookingPlatform, tags: Array<{ Key?: string; Value?: string }> | undefined): boolean {
  const want = awsTags(p)[PLATFORM_TAG];
  return (tags ?? []).some((t) => t.Key === PLATFORM_TAG && t.Value === want);
}

export const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export const description = (p: BookingPlatform) => `BookingPlatform ${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
