/**
 * renderPlatform: the pure function from a defaulted, validated BookingPlatform (and observed
 * facts) to every object the operator applies for it. No client, clock, env or randomness:
 * the same input always gives byte-identical output, in a stable order.
 */
import { App, Chart } from 'cdk8s';
import type { BookingPlatform } from '../api/types.generated.ts';
import { ackResources } from './ack/index.ts';
import { admin } from './admin.ts';
import { backend } from './backend.ts';
import type { Facts } from './facts.ts';
import { ingress } from './ingress.ts';
import { migrations, sessionCleanup } from './jobs.ts';
import { mcpServers } from './mcp.ts';
import { DEFAULT_CONTEXT, type RenderContext } from './names.ts';
import { networkPolicies } from './network-policy.ts';
import { appServices } from './services.ts';
import { whatsapp } from './whatsapp.ts';

export type { Facts, RenderContext };

/** A rendered Kubernetes object (plain JSON, as sent to the apiserver). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** Kinds without a namespace among those we render. */
const CLUSTER_SCOPED = new Set(['PersistentVolume']);

/** Apply order: what others depend on first (ServiceAccounts before Deployments, …). */
const KIND_ORDER = [
  'DBSubnetGroup', 'DBCluster', 'DBInstance', 'CacheSubnetGroup', 'ReplicationGroup', 'FileSystem', 'MountTarget', 'AccessPoint', 'Bucket',
  'Role', 'Secret', 'ExternalSecret', 'ServiceAccount', 'PersistentVolume', 'PersistentVolumeClaim', 'NetworkPolicy', 'Service', 'Job', 'Deployment', 'StatefulSet',
  'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'CronJob', 'Ingress',
];

/** `ctx`: the operator's cluster identity (every AWS identifier and tag depends on it). */
export function renderPlatform(p: BookingPlatform, facts: Facts = {}, ctx: RenderContext = DEFAULT_CONTEXT): KubeObject[] {
  const chart = new Chart(new App(), 'platform', { disableResourceNameHashes: true });
  ackResources(chart, p, ctx, facts);
  backend(chart, p, facts);
  whatsapp(chart, p, facts, ctx);
  mcpServers(chart, p, facts);
  admin(chart, p, facts);
  appServices(chart, p, facts);
  ingress(chart, p, ctx, facts);
  migrations(chart, p, facts);
  sessionCleanup(chart, p, facts);
  networkPolicies(chart, p);

  const namespace = p.metadata.namespace ?? 'default';
  const objects = (chart.toJson() as KubeObject[]).map((o) =>
    CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } },
  );
  return objects.sort(byApplyOrder);
}

/** What others depend on first; the reconciler sorts what it adds to the rendered objects the same way. */
export function byApplyOrder(a: KubeObject, b: KubeObject): number {
  const rank = (o: KubeObject) => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name);
}
