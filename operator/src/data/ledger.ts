/**
 * The data ledger: what the operator has provisioned for a platform, kept on the platform itself
 * (an annotation, like an ApplySet's inventory on its parent) so that it survives the spec.
 *
 * Why: removal and deletion act on what was created, not on what the spec says now. A section
 * removed from the spec, a spec that no longer validates, a platform deleted while its rules
 * changed — each still knows which AWS resources exist, under which deletion policy, with which
 * credential Secret. Entries are written before the first create (so nothing is created that the
 * ledger does not know), marked `observed` once the resource was seen usable (so a later absence
 * is a loss to report, not a first create), and dropped only when the policy's end state is
 * reached.
 *
 * Everything here is pure: (ledger, spec, observations) → ledger.
 */
import type { BookingPlatform } from '../api/types.generated.ts';
import { type ServiceName, wantedServices } from './types.ts';

export const LEDGER_ANNOTATION = 'platform.booking.io/data-services';
/** Comma-separated sections whose removal may delete data (policy Snapshot or Delete). */
export const CONFIRM_REMOVAL_ANNOTATION = 'platform.booking.io/confirm-removal';
/** Comma-separated sections the operator may create anew after they were lost. */
export const RECREATE_ANNOTATION = 'platform.booking.io/recreate';

export type Policy = 'Snapshot' | 'Retain' | 'Delete';

export interface LedgerEntry {
  provisioner: 'ack' | 'sdk';
  /** The section as last seen in the spec: removal acts on this, whatever the spec says now. */
  spec: Record<string, unknown>;
  /** Seen usable at least once: a later absence is a loss, never a reason to create it empty. */
  observed?: boolean;
  /**
   * Database only: the Secret holding the master password. None with credentials mode `managed`
   * (recorded in `spec.credentials.mode`): RDS keeps the password in its own Secrets Manager secret.
   */
  secret?: string;
  /** Database only: the password in `secret` is new and must be set on the database first. */
  rotate?: boolean;
  /** Chosen once when removal starts, so every retry asks for the same, unique, snapshot. */
  finalSnapshot?: string;
}

/** What the operator let go of and left in AWS (shown in status, never forgotten silently). */
export interface Released {
  service: ServiceName;
  /** What stays behind, e.g. `DBInstance bkp-…` or `DBSnapshot bkp-…-final-…`. */
  resource: string;
  policy: Policy;
  /** The Secret with the credential that opens it, orphaned from the platform. */
  secret?: string;
}

export interface Ledger {
  services: Partial<Record<ServiceName, LedgerEntry>>;
  released?: Released[];
}

export const SERVICES: readonly ServiceName[] = ['database', 'cache', 'fileSystem', 'uploads'];

/** The ledger stored on a platform (empty when none; a corrupt one is reported, not guessed). */
export function readLedger(annotations: Record<string, string> | undefined): { ledger: Ledger; error?: string } {
  const raw = annotations?.[LEDGER_ANNOTATION];
  if (!raw) return { ledger: { services: {} } };
  try {
    const parsed = JSON.parse(raw) as Ledger;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.services !== 'object') throw new Error('no services');
    return { ledger: parsed };
  } catch (err) {
    return { ledger: { services: {} }, error: `annotation ${LEDGER_ANNOTATION} is not a valid ledger: ${(err as Error).message}` };
  }
}

/** Stable serialization (sorted keys) so an unchanged ledger is never rewritten. */
export function writeLedger(l: Ledger): string {
  return JSON.stringify(sortKeys(l));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

/** The section of the spec a service comes from. */
export function sectionOf(p: BookingPlatform, s: ServiceName): Record<string, unknown> | undefined {
  const spec = p.spec as unknown as Record<string, Record<string, unknown> | undefined>;
  return spec[s];
}

/** Services this provisioner creates (external ones are someone else's: nothing to record). */
export function provisionedServices(p: BookingPlatform): ServiceName[] {
  return p.spec.provisioner === 'external' ? [] : wantedServices(p);
}

/**
 * The ledger after this pass's spec: each wanted service recorded with its current section
 * (its deletion policy follows spec edits); removed sections stay until their removal is done.
 */
export function recordSpec(l: Ledger, p: BookingPlatform): Ledger {
  const services = { ...l.services };
  for (const s of provisionedServices(p)) {
    const prev = services[s];
    const { finalSnapshot: _dropped, ...keep } = prev ?? ({} as Partial<LedgerEntry>);
    // a section that comes back cancels a removal in progress (nothing was deleted yet, or it is gone and will be created)
    services[s] = { ...keep, provisioner: p.spec.provisioner as 'ack' | 'sdk', spec: structuredClone(sectionOf(p, s) ?? {}) };
  }
  const released = (l.released ?? []).filter((r) => !provisionedServices(p).includes(r.service) || r.resource.startsWith('DBSnapshot') || r.resource.startsWith('DBClusterSnapshot'));
  return { services, ...(released.length ? { released } : {}) };
}

/** Marks services seen usable; clears the loss once a service is back. */
export function recordObserved(l: Ledger, usable: ServiceName[]): Ledger {
  const services = { ...l.services };
  for (const s of usable) if (services[s] && !services[s]!.observed) services[s] = { ...services[s]!, observed: true };
  return { ...l, services };
}

/** Services in the ledger that the spec no longer asks for: each must go through its policy. */
export function removedServices(l: Ledger, p: BookingPlatform | undefined): ServiceName[] {
  const wanted = p ? provisionedServices(p) : [];
  return SERVICES.filter((s) => l.services[s] && !wanted.includes(s));
}

/** A section's deletion policy (Retain where it names none). */
export function policyOf(section: Record<string, unknown> | undefined): Policy {
  return (section?.deletionPolicy as Policy | undefined) ?? 'Retain';
}

/** Database only: RDS manages the master password (credentials mode `managed`, as recorded); no Kubernetes Secret holds it. */
export function passwordManagedByRds(e: LedgerEntry | undefined): boolean {
  return (e?.spec?.credentials as { mode?: string } | undefined)?.mode === 'managed';
}

/** Whether removing this entry deletes data (and so needs confirmation when it is not a platform deletion). */
export function removalDeletesData(e: LedgerEntry): boolean {
  return policyOf(e.spec) !== 'Retain';
}

export function listAnnotation(annotations: Record<string, string> | undefined, key: string): Set<string> {
  return new Set((annotations?.[key] ?? '').split(',').map((x) => x.trim()).filter(Boolean));
}

/** A unique, AWS-valid final snapshot identifier: the base plus the moment removal started. */
export function uniqueSnapshotId(base: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', 't').toLowerCase();
  const head = base.slice(0, 255 - stamp.length - 1).replace(/-+$/, '');
  return `${head}-${stamp}`;
}

/** The platform as removal must see it: the current (or stored) spec with the removed section restored. */
export function withSection(p: BookingPlatform, s: ServiceName, e: LedgerEntry): BookingPlatform {
  const spec = { ...p.spec, provisioner: e.provisioner, [s]: structuredClone(e.spec) } as BookingPlatform['spec'];
  if (s === 'fileSystem') spec.whatsapp = { ...(spec.whatsapp ?? {}), enabled: true } as BookingPlatform['spec']['whatsapp'];
  if (s === 'uploads') spec.uploads = { ...(spec.uploads as object), enabled: true } as BookingPlatform['spec']['uploads'];
  return { ...p, spec };
}
