/** What the bench reads about a controller process and the apiserver: CPU, memory, writes. */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kubectl, kubectlOk, REPO } from '../../operator/test/rig/kubectl.ts';

/** CPU seconds (user + system) the process has used; /proc/PID/stat counts in clock ticks (100 Hz). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the command: state is field 3, utime 14 and stime 15 (1-based, counting pid and comm)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory now and its high-water mark, MiB. */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export interface Requests {
  writes: number;
  leaseWrites: number;
  reads: number;
  byVerb: Record<string, number>;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * The apiserver's audit log (JSON lines, one per finished request of a ServiceAccount), read from
 * where the last look stopped: the writes and reads each user made since.
 */
export class AuditLog {
  private offset = 0;
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  /** Skips everything logged so far. */
  mark(): void {
    this.offset = statSync(this.path).size;
  }

  /**
   * What was logged since the last look. The apiserver rotates the log at 100 MB (its
   * `--audit-log-maxsize=0` means the default): then the rest of the rotated file (the newest
   * `audit-*.log` beside it) comes first, and the new file is read from its start.
   */
  private readNew(): string {
    const size = statSync(this.path).size;
    let head = '';
    if (size < this.offset) {
      const dir = dirname(this.path);
      const rotated = readdirSync(dir).filter((f) => /^audit-.*\.log$/.test(f)).sort().at(-1);
      if (rotated) head = readFrom(join(dir, rotated), this.offset);
      this.offset = 0;
    }
    const text = head + readFrom(this.path, this.offset);
    // count() advances the offset by what it consumed, the rotated file's rest included
    if (head) this.offset = -Buffer.byteLength(head);
    return text;
  }

  /**
   * Requests since the last mark/count, per user: writes (by verb and resource) and reads. The
   * leader-election lease's renewals are counted apart (`leaseWrites`): they are the same for any
   * amount of work.
   */
  count(): Map<string, Requests> {
    const text = this.readNew();
    const end = text.lastIndexOf('\n') + 1;
    this.offset += Buffer.byteLength(text.slice(0, end));
    const users = new Map<string, Requests>();
    for (const line of text.slice(0, end).split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as { user?: { username?: string }; verb?: string; objectRef?: { resource?: string; subresource?: string } };
      const user = e.user?.username ?? '?';
      const u = users.get(user) ?? { writes: 0, leaseWrites: 0, reads: 0, byVerb: {} };
      if (WRITE_VERBS.has(e.verb ?? '') && e.objectRef?.resource === 'leases') u.leaseWrites++;
      else if (WRITE_VERBS.has(e.verb ?? '')) {
        u.writes++;
        const k = `${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
        u.byVerb[k] = (u.byVerb[k] ?? 0) + 1;
      } else if (e.verb !== 'watch') u.reads++;
      users.set(user, u);
    }
    return users;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await fn()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The project's CRD (the bench needs no other), applied and Established. */
export async function installPlatformCrd(rig: { bin: string; kubeconfig: string }): Promise<void> {
  kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-f', join(REPO, 'crds')]);
  await until('the BookingPlatform CRD Established', () => kubectl(rig, ['get', 'crd', 'bookingplatforms.platform.booking.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']).stdout === 'True', 120_000, 200);
}

function readFrom(path: string, offset: number): string {
  const size = statSync(path).size;
  if (size <= offset) return '';
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  return buf.toString('utf8');
}
