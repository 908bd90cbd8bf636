/**
 * A work queue with client-go's semantics: a key waiting is queued once however often it is
 * added; a key being processed is never handed to a second worker (re-adds wait until it is done);
 * per-key exponential backoff for failures; delayed adds for requeue-after.
 *
 * Unlike client-go, shutting down does not drain: keys still waiting are dropped, because a
 * replica shuts its queue when it stops being the leader and must not start another reconcile
 * (the next leader lists every platform anyway).
 */
export interface QueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  queued(seconds: number): void;
  worked(seconds: number): void;
}

const noMetrics: QueueMetrics = { depth() {}, added() {}, retried() {}, queued() {}, worked() {} };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly metrics: QueueMetrics;

  constructor(opts: { baseDelayMs?: number; maxDelayMs?: number; metrics?: QueueMetrics } = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    this.metrics = opts.metrics ?? noMetrics;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Keys currently being processed, with their start time (ms). */
  inFlight(): ReadonlyMap<string, number> {
    return this.processing;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added();
    this.dirty.add(key);
    this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return; // queued again when done()
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.set(key, Date.now());
      this.metrics.queued(0);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.metrics.depth(this.queue.length);
  }

  /** Adds after `ms`; an earlier pending add wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Adds after the key's next backoff delay (base × 2^failures, capped). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
    this.metrics.retried();
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the key's backoff (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process; undefined once shut down (waiting keys are not handed out). */
  async get(): Promise<string | undefined> {
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.set(key, Date.now());
      this.metrics.depth(this.queue.length);
      this.metrics.queued((Date.now() - (this.addedAt.get(key) ?? Date.now())) / 1000);
      return key;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks processing of `key` finished; a key added meanwhile is queued now. */
  done(key: string): void {
    const started = this.processing.get(key);
    this.processing.delete(key);
    if (started !== undefined) this.metrics.worked((Date.now() - started) / 1000);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Hands out nothing more: waiting workers get undefined, waiting and delayed keys are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    this.queue.length = 0;
    this.dirty.clear();
    this.metrics.depth(0);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
