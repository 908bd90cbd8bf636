/**
 * Prometheus metrics under controller-runtime's names (so existing dashboards and alerts work),
 * plus the operator's own. One registry per process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMetrics } from './queue.ts';

export const CONTROLLER = 'bookingplatform';

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers: [this.registry] });
  readonly reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers: [this.registry] });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: ['controller'], registers: [this.registry] });
  readonly maxConcurrent = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: ['controller'], registers: [this.registry] });
  readonly workqueueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name', 'controller'], registers: [this.registry] });
  readonly workqueueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name', 'controller'], registers: [this.registry] });
  readonly workqueueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name', 'controller'], registers: [this.registry] });
  readonly workqueueQueueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name', 'controller'], buckets: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000], registers: [this.registry] });
  readonly workqueueWorkDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes', labelNames: ['name', 'controller'], buckets: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000], registers: [this.registry] });
  readonly longestRunning = new Gauge({ name: 'workqueue_longest_running_processor_seconds', help: 'How many seconds has the longest running processor for workqueue been running', labelNames: ['name', 'controller'], registers: [this.registry] });
  readonly leader = new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master', labelNames: ['name'], registers: [this.registry] });
  readonly restRequests = new Counter({ name: 'rest_client_requests_total', help: 'Number of HTTP requests, partitioned by status code and method', labelNames: ['code', 'method'], registers: [this.registry] });
  readonly applied = new Counter({ name: 'booking_operator_objects_applied_total', help: 'Objects written by server-side apply', labelNames: ['kind'], registers: [this.registry] });
  readonly drift = new Counter({ name: 'booking_operator_drift_corrected_total', help: 'Objects found changed or deleted by someone else and restored', labelNames: ['kind'], registers: [this.registry] });
  readonly pruned = new Counter({ name: 'booking_operator_objects_pruned_total', help: 'Objects deleted because the platform no longer wants them', labelNames: ['kind'], registers: [this.registry] });
  readonly platformCondition = new Gauge({ name: 'booking_operator_platform_condition', help: 'Status of each platform condition (1 for the current status)', labelNames: ['namespace', 'name', 'type', 'status'], registers: [this.registry] });
  readonly informerRestarts = new Counter({ name: 'booking_operator_informer_restarts_total', help: 'Restarts of list/watch loops after an error', labelNames: ['kind'], registers: [this.registry] });

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
    this.maxConcurrent.set({ controller: CONTROLLER }, 0);
  }

  queueMetrics(): QueueMetrics {
    const l = { name: CONTROLLER, controller: CONTROLLER };
    return {
      depth: (n) => this.workqueueDepth.set(l, n),
      added: () => this.workqueueAdds.inc(l),
      retried: () => this.workqueueRetries.inc(l),
      queued: (s) => this.workqueueQueueDuration.observe(l, s),
      worked: (s) => this.workqueueWorkDuration.observe(l, s),
    };
  }

  private readonly exposed = new Map<string, Array<Record<string, string>>>();

  /** Exposes one platform's conditions; the platform's earlier series are removed first. */
  setPlatformConditions(namespace: string, name: string, conditions: Array<{ type: string; status: string }>): void {
    this.clearPlatform(namespace, name);
    const series = conditions.map((c) => ({ namespace, name, type: c.type, status: c.status }));
    for (const labels of series) this.platformCondition.set(labels, 1);
    this.exposed.set(`${namespace}/${name}`, series);
  }

  clearPlatform(namespace: string, name: string): void {
    for (const labels of this.exposed.get(`${namespace}/${name}`) ?? []) this.platformCondition.remove(labels);
    this.exposed.delete(`${namespace}/${name}`);
  }
}
