/**
 * What the reconcile loop asks of a data-service provider (ack, sdk or external), whichever it
 * is: is each service usable yet (and if not, why), what are its connection details, and what
 * happens on delete.
 */
import type { BookingPlatform } from '../api/types.generated.ts';

export type ServiceName = 'database' | 'cache' | 'fileSystem' | 'uploads';

export interface ServiceState {
  ready: boolean;
  /** CamelCase reason for conditions (Available, Creating, ACKTerminal, SecretNotFound, …). */
  reason: string;
  /** Human message that names the blocking part and quotes its own reason. */
  message: string;
  /** A failure that will not heal without a spec change (ACK Terminal, a permanent AWS error). */
  terminal?: boolean;
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

/** The result of carrying out the deletion policy; `done` lets the finalizer go. */
export interface FinalizeResult {
  done: boolean;
  message: string;
}

export interface DataServices {
  /** Ensures the services exist as specified (where this provider creates them) and observes them. */
  observe(p: BookingPlatform, masterPassword: string | undefined): Promise<DataObservation>;
  /** Carries out each service's deletion policy. */
  finalize(p: BookingPlatform): Promise<FinalizeResult>;
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
