/**
 * The operator process: informers start at once (a standby keeps warm caches), workers start
 * when this replica becomes leader. SIGTERM/SIGINT: stop taking work, drain in-flight
 * reconciles within the grace period (their writes stop at the renew deadline, as the lease is
 * no longer renewed), end the watches, release the lease, close the HTTP servers, flush logs,
 * exit 0. Losing the lease stops all work at once — no further reconcile starts, no further write
 * is sent — and exits 1 (as controller-runtime does) so the pod restarts clean.
 *
 * The process is gone at most `shutdownGraceMs` + STOP_MARGIN_MS (25 + 5 s: the chart's
 * terminationGracePeriodSeconds) after the signal: the drain takes at most the grace period, each
 * later step is bounded on its own (the watches' end 2 s, then the lease's release and the servers'
 * close side by side, 2 s), and whatever is still open then — a reconcile that outlived the grace
 * period, in a request — does not hold the exit.
 */
import { pino, type Logger } from 'pino';
import { configFromEnv, type Config } from './config.ts';
import { Controller } from './controller/controller.ts';
import { EventRecorder } from './controller/events.ts';
import { LeaderElector } from './controller/leader.ts';
import { CONTROLLER, Metrics } from './controller/metrics.ts';
import { Reconciler } from './controller/reconciler.ts';
import { closeServer, serve } from './controller/server.ts';
import { kubeAckWriter } from './data/ack-removal.ts';
import { dataServicesFor } from './data/index.ts';
import { securityParts } from './security/parts.ts';
import { KubeClient } from './kube/client.ts';
import { readSecretData } from './kube/secret-data.ts';
import { DEFAULT_CLUSTER_NAME } from './render/names.ts';

export interface Operator {
  controller: Controller;
  client: KubeClient;
  metrics: Metrics;
  elector?: LeaderElector;
  ports: { metrics: number; health: number };
  /** Resolves when the process should exit, with its code. */
  finished: Promise<number>;
  shutdown(): Promise<number>;
}

export async function startOperator(config: Config, log: Logger = pino({ level: config.logLevel, base: { component: 'booking-operator' } })): Promise<Operator> {
  const client = KubeClient.fromDefault(config.kubeconfig);
  const metrics = new Metrics();
  client.onRequest = (verb, code) => metrics.restRequests.inc({ method: verb, code: String(code) });
  const controller = new Controller(client, log, metrics, { namespaces: config.namespaces, concurrency: config.concurrency, resyncMs: config.resyncMs });
  const events = new EventRecorder(client, log, { instance: config.identity });
  const sdk = config.awsRegion ? await loadSdkProvider(config, log) : undefined;
  // ack with credentials mode managed reads RDS's Secrets Manager secret with the same AWS settings
  const masterSecrets = config.awsRegion ? await loadMasterSecretReader(config, log) : undefined;
  // the cluster's identity is part of every AWS identifier: renderers, ack and sdk must agree on it
  const context = { clusterName: config.clusterName ?? DEFAULT_CLUSTER_NAME };
  const reconciler = new Reconciler({
    context,
    security: securityParts({ config, log }),
    client,
    store: controller,
    events,
    metrics,
    log,
    dataServices: dataServicesFor({
      context,
      ackLookup: (apiVersion, kind, ns, name) => controller.get(apiVersion, kind, ns, name) as { spec?: any; status?: any } | undefined,
      ackWriter: kubeAckWriter((p) => controller.owned(p), client),
      readSecret: (ns, name) => readSecretData(client, ns, name),
      sdk,
      masterSecrets,
    }),
  });

  const probes = { healthy: () => true, ready: () => controller.synced() };
  const metricsSrv = await serve(config.metricsPort, probes, metrics.registry);
  const healthSrv = config.healthPort === config.metricsPort && config.metricsPort !== 0 ? metricsSrv : await serve(config.healthPort, probes, metrics.registry);
  await controller.startInformers();

  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((r) => (resolveFinished = r));
  let stopping = false;
  const shutdown = async (code = 0): Promise<number> => {
    if (stopping) return finished;
    stopping = true;
    log.info('shutting down');
    elector?.stop();
    await controller.stop(config.shutdownGraceMs);
    const servers = [...new Set([metricsSrv.server, healthSrv.server])];
    await Promise.all([elector && within(elector.release(), LEASE_RELEASE_MS), ...servers.map((server) => closeServer(server, SERVER_CLOSE_MS))]);
    metrics.leader.set({ name: config.leaseName }, 0);
    log.flush?.();
    resolveFinished(code);
    return finished;
  };

  const startWorkers = async () => {
    await controller.waitForSync();
    controller.startWorkers(reconciler, () => elector?.isLeader() ?? true);
    log.info({ concurrency: config.concurrency, namespaces: config.namespaces.length ? config.namespaces : 'all' }, 'controller started');
  };

  let elector: LeaderElector | undefined;
  if (config.leaderElect) {
    // the lease has its own client: the work client is fenced by the lease, and renewals do not
    // queue behind reconcile traffic
    const leaseClient = KubeClient.fromDefault(config.kubeconfig);
    leaseClient.onRequest = client.onRequest;
    elector = new LeaderElector(leaseClient, log, { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity });
    client.mayWrite = () => elector!.isLeader();
    metrics.leader.set({ name: config.leaseName }, 0);
    void (async () => {
      if (!(await elector!.acquire())) return;
      metrics.leader.set({ name: config.leaseName }, 1);
      await startWorkers();
      await elector!.hold();
      if (!stopping) {
        log.error('leadership lost; exiting');
        await shutdown(1);
      }
    })();
  } else {
    await startWorkers();
  }
  return { controller, client, metrics, elector, ports: { metrics: metricsSrv.port, health: healthSrv.port }, finished, shutdown: () => shutdown(0) };
}

/** After the drain: the watches' end (controller.ts, 2 s), then these side by side. */
const LEASE_RELEASE_MS = 2_000;
const SERVER_CLOSE_MS = 1_000;
/** Beyond the grace period, from the signal to the exit: the steps above, and one to spare. */
export const STOP_MARGIN_MS = 5_000;
/** How long what is still open after the shutdown may keep the process. */
const LINGER_MS = 500;

/** Waits for `p` (its failure included), `ms` at most: what it still does then does not hold the exit. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

async function loadSdkProvider(config: Config, log: Logger) {
  try {
    const mod = await import('./aws/provider.ts');
    if (!config.clusterName) log.warn('BOOKING_CLUSTER_NAME is not set: platforms with provisioner sdk stay stalled (NoClusterName)');
    return mod.createSdkProvider({ region: config.awsRegion!, endpoint: config.awsEndpoint, log, clusterName: config.clusterName });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'AWS SDK provider unavailable');
    return undefined;
  }
}

async function loadMasterSecretReader(config: Config, log: Logger) {
  try {
    const mod = await import('./aws/rds.ts');
    return mod.masterUserSecretReader({ endpoint: config.awsEndpoint }, config.awsRegion!);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'Secrets Manager reader unavailable');
    return undefined;
  }
}

/** `booking-operator run`. */
export async function runOperator(): Promise<number> {
  const config = configFromEnv();
  const log: Logger = pino({ level: config.logLevel, base: { component: 'booking-operator', controller: CONTROLLER } });
  const op = await startOperator(config, log);
  const onSignal = (sig: string) => {
    log.info({ signal: sig }, 'signal received');
    // every step of the shutdown is bounded; this holds should one of them not end all the same
    setTimeout(() => exit(log, 1, 'shutdown did not finish in time'), config.shutdownGraceMs + STOP_MARGIN_MS).unref();
    void op.shutdown();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const code = await op.finished;
  // the process ends by itself once nothing is open; a reconcile that outlived the grace period
  // (in a request or an AWS call) must not keep it alive for as long as that takes
  setTimeout(() => exit(log, code, 'work still open after the shutdown'), LINGER_MS).unref();
  return code;
}

function exit(log: Logger, code: number, why: string): void {
  log.warn({ open: process.getActiveResourcesInfo() }, `${why}; exiting`);
  log.flush?.();
  process.exit(code);
}
