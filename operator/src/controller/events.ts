/**
 * Kubernetes Events for what a user should see (transitions and errors), rate-limited: the same
 * reason and message for the same object is recorded at most once per window.
 */
import type { Logger } from 'pino';
import type { KubeClient, Obj } from '../kube/client.ts';

export interface Involved {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly instance: string;
  private readonly windowMs: number;
  private readonly recent = new Map<string, number>();

  constructor(client: KubeClient, log: Logger, opts: { instance: string; windowMs?: number }) {
    this.client = client;
    this.log = log;
    this.instance = opts.instance;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
  }

  normal(obj: Involved, reason: string, message: string): void {
    this.record(obj, 'Normal', reason, message);
  }

  warning(obj: Involved, reason: string, message: string): void {
    this.record(obj, 'Warning', reason, message);
  }

  private record(obj: Involved, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${obj.metadata.uid ?? obj.metadata.name}/${type}/${reason}/${message}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < this.windowMs) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) {
      for (const [k, t] of this.recent) if (now - t >= this.windowMs) this.recent.delete(k);
    }
    const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${obj.metadata.name}.`, namespace: obj.metadata.namespace ?? 'default' },
      involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: 'booking-operator' },
      reportingComponent: 'booking-operator',
      reportingInstance: this.instance,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    } as unknown as Obj;
    // fire and forget: an event that cannot be written must never fail a reconcile
    this.client.create(event).catch((err) => this.log.debug({ err: (err as Error).message, reason }, 'event not recorded'));
  }
}
