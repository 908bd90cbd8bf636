/** Operator settings from the environment (the chart sets them), with their defaults. */
import { hostname } from 'node:os';
import { CLUSTER_NAME_PATTERN } from './render/names.ts';

export interface Config {
  kubeconfig?: string;
  namespaces: string[];
  logLevel: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  metricsPort: number;
  healthPort: number;
  concurrency: number;
  resyncMs: number;
  shutdownGraceMs: number;
  awsRegion?: string;
  awsEndpoint?: string;
  /** This cluster's identity in AWS identifiers and owner tags; required for provisioner sdk. */
  clusterName?: string;
  /** The cluster's IAM OIDC provider (IRSA trust of managed roles, `iam.trust: irsa`). */
  oidcProviderArn?: string;
  /** The EKS cluster's name (Pod Identity associations, `iam.trust: podIdentity`). */
  eksClusterName?: string;
  /** A managed policy set as the permissions boundary of every managed role: the most any of them may do. */
  iamPermissionsBoundary?: string;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const int = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  return {
    kubeconfig: env.KUBECONFIG || undefined,
    namespaces: (env.WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL ?? 'info',
    leaderElect: (env.LEADER_ELECT ?? 'true') !== 'false',
    leaseNamespace: env.POD_NAMESPACE ?? 'default',
    leaseName: env.LEASE_NAME ?? 'booking-operator',
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    metricsPort: int('METRICS_PORT', 8080),
    healthPort: int('HEALTH_PORT', 8081),
    concurrency: int('MAX_CONCURRENT_RECONCILES', 4) || 1,
    resyncMs: int('RESYNC_SECONDS', 600) * 1000,
    shutdownGraceMs: int('SHUTDOWN_GRACE_SECONDS', 25) * 1000,
    awsRegion: env.AWS_REGION || undefined,
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
    clusterName: clusterName(env.BOOKING_CLUSTER_NAME),
    oidcProviderArn: matching('BOOKING_OIDC_PROVIDER_ARN', env.BOOKING_OIDC_PROVIDER_ARN, /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/\S+$/, 'an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)'),
    eksClusterName: matching('BOOKING_EKS_CLUSTER_NAME', env.BOOKING_EKS_CLUSTER_NAME, /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'an EKS cluster name'),
    iamPermissionsBoundary: matching('BOOKING_IAM_PERMISSIONS_BOUNDARY', env.BOOKING_IAM_PERMISSIONS_BOUNDARY, /^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy\/\S+$/, 'a managed policy ARN (arn:aws:iam::<account>:policy/<name>)'),
  };
}

function clusterName(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!CLUSTER_NAME_PATTERN.test(v)) throw new Error(`BOOKING_CLUSTER_NAME must be a DNS label (lower case letters, digits, '-', at most 63), got "${v}"`);
  return v;
}

function matching(name: string, v: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!pattern.test(v)) throw new Error(`${name} must be ${what}, got "${v}"`);
  return v;
}
