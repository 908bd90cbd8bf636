/** The kinds the operator owns and watches (label-scoped to what it manages). */
import { ACK } from '../render/ack/common.ts';
import { ACK_IAM } from '../security/iam/ack.ts';
import { EXTERNAL_SECRET_API } from '../security/secrets/desired.ts';

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  clusterScoped?: boolean;
  /** Only watched when the apiserver serves it (ACK's kinds, ESO's ExternalSecret). */
  optional?: boolean;
}

export const OWNED_KINDS: WatchedKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'PersistentVolume', clusterScoped: true },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  ...(['DBSubnetGroup', 'DBInstance', 'DBCluster'] as const).map((kind) => ({ apiVersion: ACK.rds, kind, optional: true })),
  ...(['CacheSubnetGroup', 'ReplicationGroup'] as const).map((kind) => ({ apiVersion: ACK.elasticache, kind, optional: true })),
  ...(['FileSystem', 'MountTarget', 'AccessPoint'] as const).map((kind) => ({ apiVersion: ACK.efs, kind, optional: true })),
  { apiVersion: ACK.s3, kind: 'Bucket', optional: true },
  { apiVersion: ACK_IAM, kind: 'Role', optional: true },
  // secrets delivery external-secrets: External Secrets Operator's CRD, installed with ESO
  { apiVersion: EXTERNAL_SECRET_API, kind: 'ExternalSecret', optional: true },
];

/**
 * Which optional kinds the apiserver serves, looked up again later so that kinds installed after
 * start-up (ACK's and ESO's CRDs) are watched without a restart. Discovery is readable by every
 * authenticated user, so this needs no RBAC (watching CRDs would need cluster-wide read on them).
 */
export class KindDiscovery {
  private missing: WatchedKind[];
  private readonly serves: (apiVersion: string, kind: string) => Promise<boolean>;
  private readonly minIntervalMs: number;
  private running?: Promise<WatchedKind[]>;
  private lastCheck = -Infinity;

  /** `minIntervalMs`: checks are at least this far apart (a call sooner waits for its turn). */
  constructor(serves: (apiVersion: string, kind: string) => Promise<boolean>, kinds: WatchedKind[], minIntervalMs = 5_000) {
    this.serves = serves;
    this.missing = kinds.filter((k) => k.optional);
    this.minIntervalMs = minIntervalMs;
  }

  /** Optional kinds not served at the last check. */
  unserved(): readonly WatchedKind[] {
    return this.missing;
  }

  isUnserved(apiVersion: string, kind: string): boolean {
    return this.missing.some((k) => k.apiVersion === apiVersion && k.kind === kind);
  }

  /**
   * The unserved kinds the apiserver serves now. Each is reported once: calls while a check is
   * pending or running share it and get []. Errors (other than "not served") reject the check and
   * leave the kinds unserved.
   */
  check(): Promise<WatchedKind[]> {
    if (this.running) return this.running.then(() => []);
    if (!this.missing.length) return Promise.resolve([]);
    const wait = this.lastCheck + this.minIntervalMs - Date.now();
    this.running = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
      this.lastCheck = Date.now();
      const found: WatchedKind[] = [];
      for (const k of this.missing) if (await this.serves(k.apiVersion, k.kind)) found.push(k);
      this.missing = this.missing.filter((k) => !found.includes(k));
      return found;
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
