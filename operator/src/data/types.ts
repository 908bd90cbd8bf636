/**
 * What the reconcile loop asks of a data-service provider (ack, sdk or external), whichever it
 * is: is each service usable yet (and if not, why), what are its connection details, and what
 * happens on delete.
 */
import type { BookingPlatform } from '../api/types.generated.ts';

export type ServiceName = 'database' | 'cache' | 'fileSystem' | 'uploads';

export interface ServiceState {
  /** Usable: exists, reachable, endpoint known — workloads proceed, the connection Secret is written. */
  ready: boolean;
  /** CamelCase reason for conditions (Available, Creating, ACKTerminal, SecretNotFound, …). */
  reason: string;
  /** Human message that names the blocking part and quotes its own reason. */
  message: string;
  /** A failure that will not heal without a spec change (ACK Terminal, a permanent AWS error). */
  terminal?: boolean;
  /**
   * `false`: usable (`ready`) but not converged — AWS is backing up, modifying, in maintenance, or
   * ACK reports an error on a resource that still serves. Workloads proceed; the message quotes
   * AWS's (or ACK's) own status; the provider looks again. Absent: converged (or not usable).
   */
  converged?: false;
}

export interface DatabaseConnection {
  engine: string;
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
}

export interface DataObservation {
  database?: ServiceState & { connection?: DatabaseConnection };
  cache?: ServiceState & { url?: string };
  fileSystem?: ServiceState & { fileSystemId?: string; accessPointId?: string };
  uploads?: ServiceState & { bucket?: string; region?: string };
  /** Look again after this long while something is still being created. */
  requeueAfterMs?: number;
}

/** The result of carrying out one service's deletion policy; `done`: its end state is reached. */
export interface FinalizeResult {
  done: boolean;
  message: string;
  /** What stays in AWS when done (a retained resource, a final snapshot), for status and Events. */
  left?: string;
}

export interface ObserveOptions {
  /** Services seen usable before: if one is gone now it was lost, and is reported, never created empty. */
  existed?: ServiceName[];
}

export interface RemoveOptions {
  /** The final snapshot identifier chosen for this removal (policy Snapshot). */
  finalSnapshot?: string;
}

export interface DataServices {
  /** Ensures the services exist as specified (where this provider creates them) and observes them. */
  observe(p: BookingPlatform, masterPassword: string | undefined, opts?: ObserveOptions): Promise<DataObservation>;
  /**
   * Carries out one service's deletion policy, `p` carrying that service's section as it was
   * recorded: Snapshot (final snapshot, then delete), Delete, or Retain (leave it, stop managing).
   * Called again until done.
   */
  remove(p: BookingPlatform, service: ServiceName, opts: RemoveOptions): Promise<FinalizeResult>;
  /** Sets a newly generated master password on the existing database (sdk); ack does it through the Secret reference. */
  rotatePassword?(p: BookingPlatform, password: string): Promise<FinalizeResult>;
}

/** Services the platform asks for. */
export function wantedServices(p: BookingPlatform): ServiceName[] {
  const s: ServiceName[] = [];
  if (p.spec.database) s.push('database');
  if (p.spec.cache) s.push('cache');
  if (p.spec.whatsapp?.enabled && (p.spec.provisioner !== 'external' || p.spec.fileSystem.external)) s.push('fileSystem');
  if (p.spec.uploads?.enabled) s.push('uploads');
  return s;
}

export const ready = (message = 'available'): ServiceState => ({ ready: true, reason: 'Available', message });
export const notReady = (reason: string, message: string, terminal = false): ServiceState => ({ ready: false, reason, message, ...(terminal ? { terminal } : {}) });
/** Usable (workloads proceed) while AWS or ACK is still at work on it. */
export const usableNotConverged = (message: string): ServiceState => ({ ready: true, converged: false, reason: 'AvailableNotConverged', message });
/** Whether a provider should look again soon: not usable yet (and not terminal), or usable but not converged. */
export const settling = (s: ServiceState | undefined): boolean => Boolean(s && !s.terminal && (!s.ready || s.converged === false));

/**
 * A provider at its concurrency limit refused a platform before doing anything: look again after
 * `retryAfterMs` (a requeue, not a failure), so platforms stuck on a slow cloud never hold every worker.
 */
export class ProviderBusyError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.name = 'ProviderBusyError';
    this.retryAfterMs = retryAfterMs;
  }
}
