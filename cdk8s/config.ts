/**
 * The GitOps configuration: one typed object per environment (operator image, watched namespaces,
 * AWS region, where Argo CD finds the synthesized files, and the tenants). `loadConfig` defaults
 * and validates every tenant with the CRD's own rules (parsePlatform), so bad config fails synth.
 */
import { parsePlatform } from '../operator/src/api/platform.ts';
import { API_VERSION, KIND } from '../operator/src/api/schema.ts';
import type { BookingPlatform, BookingPlatformSpec } from '../operator/src/api/types.generated.ts';

/** Fields the apiserver defaults may be left out, as in a manifest: everything optional but the backend image. */
export type DeepPartial<T> = T extends Array<infer U> ? Array<DeepPartial<U>> : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type TenantSpec = DeepPartial<BookingPlatformSpec> & { backend: { image: string } };

export interface Tenant {
  /** BookingPlatform name (a DNS label of at most 30 characters). */
  name: string;
  /** Namespace created for the tenant; holds its BookingPlatform and everything the operator makes for it. */
  namespace: string;
  /** The BookingPlatform spec, as written in Git (the apiserver fills in the defaults). */
  spec: TenantSpec;
}

export const ENVIRONMENTS = ['staging', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export interface EnvironmentConfig {
  operator: {
    /** Operator image tag (or tag@digest) of ghcr.io/booking-io/booking-operator. */
    imageTag: string;
    /** Optional repository override. */
    imageRepository?: string;
    /**
     * Empty: the operator watches every namespace (one ClusterRole). Otherwise exactly the tenants'
     * namespaces, whose Role and RoleBinding then live with the tenant in 10-platforms.yaml.
     */
    watchNamespaces: string[];
    /** Default AWS region of the operator (AWS_REGION). */
    awsRegion: string;
    /** This cluster's identity in AWS identifiers and owner tags (BOOKING_CLUSTER_NAME): unique per AWS account, never changed. */
    clusterName: string;
    /** IRSA role of the operator's ServiceAccount (needed with provisioner sdk). */
    iamRoleArn?: string;
    logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  };
  argocd: {
    /** Git repository Argo CD syncs from. */
    repoURL: string;
    targetRevision: string;
    /** Folder of this environment's synthesized files in that repository. */
    path: string;
    /** Cluster the Applications deploy to (default: the cluster Argo CD runs in). */
    destinationServer?: string;
  };
  tenants: Tenant[];
}

export type Config = Record<EnvironmentName, EnvironmentConfig>;

const REPO = 'https://github.com/booking-io/booking-operator.git';
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const AWS = { region: 'us-east-1', accountId: '123456789012', vpcId: 'vpc-0abc', subnetIds: ['subnet-0a1', 'subnet-0b2'], securityGroupIds: ['sg-0123'] };

export const CONFIG: Config = {
  staging: {
    operator: { imageTag: '0.1.0', watchNamespaces: [], awsRegion: 'us-east-1', clusterName: 'staging-use1', logLevel: 'debug' },
    argocd: { repoURL: REPO, targetRevision: 'main', path: 'cdk8s/dist/staging' },
    tenants: [
      {
        name: 'acme',
        namespace: 'acme-staging',
        spec: {
          environment: 'staging',
          aws: AWS,
          backend: { image: `${ECR}/booking-backend:1.5.0-rc.1`, autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70 } },
          whatsapp: { image: `${ECR}/whatsapp-baileys:2.1.0` },
          mcpServers: [{ name: 'calendar', image: `${ECR}/mcp-calendar:1.0.0`, port: 7001 }],
          admin: { image: `${ECR}/admin:1.0.0`, replicas: 1 },
          ingress: { host: 'api.staging.acme.example', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/staging' },
          database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.micro', multiAZ: false, deletionPolicy: 'Delete' },
          cache: { replicas: 0 },
          migrations: { command: ['alembic', 'upgrade', 'head'] },
        },
      },
    ],
  },
  production: {
    operator: { imageTag: '0.1.0', watchNamespaces: [], awsRegion: 'us-east-1', clusterName: 'production-use1', iamRoleArn: 'arn:aws:iam::123456789012:role/booking-operator' },
    argocd: { repoURL: REPO, targetRevision: 'production', path: 'cdk8s/dist/production' },
    tenants: [
      {
        name: 'acme',
        namespace: 'acme',
        spec: {
          environment: 'production',
          aws: AWS,
          backend: { image: `${ECR}/booking-backend:1.4.2`, iamRoleArn: 'arn:aws:iam::123456789012:role/acme-backend' },
          whatsapp: { image: `${ECR}/whatsapp-baileys:2.1.0` },
          mcpServers: [
            { name: 'calendar', image: `${ECR}/mcp-calendar:1.0.0`, port: 7001 },
            { name: 'professionals', image: `${ECR}/mcp-professionals:1.0.0`, port: 7002 },
          ],
          admin: { image: `${ECR}/admin:1.0.0` },
          ingress: { host: 'api.acme.example', adminHost: 'admin.acme.example', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
          database: { engine: 'postgres', version: '16' },
          cache: {},
          uploads: { enabled: true },
          sessionCleanup: { command: ['python', '-m', 'app.jobs.cleanup_sessions'] },
          migrations: { command: ['alembic', 'upgrade', 'head'] },
        },
      },
      {
        name: 'globex',
        namespace: 'globex',
        spec: {
          environment: 'production',
          aws: AWS,
          backend: { image: `${ECR}/booking-backend:1.4.2` },
          whatsapp: { enabled: false, image: `${ECR}/whatsapp-baileys:2.1.0` },
          database: { engine: 'aurora-postgresql', version: '16.4', serverless: { minCapacity: 0.5, maxCapacity: 4 } },
          cache: {},
          migrations: { command: ['alembic', 'upgrade', 'head'] },
        },
      },
    ],
  },
};

/** The BookingPlatform object of a tenant, as written to Git. */
export function tenantPlatform(tenant: Tenant): { apiVersion: typeof API_VERSION; kind: typeof KIND; metadata: { name: string; namespace: string }; spec: TenantSpec } {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: tenant.name, namespace: tenant.namespace }, spec: tenant.spec };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Namespaces the synthesized files create or use for the operator itself. */
export const OPERATOR_NAMESPACE = 'booking-operator';
/**
 * Namespaces no tenant may use, as Argo CD globs: the AppProject denies them and permits every
 * other namespace (see argocd/apps.ts for why tenants are not listed one by one).
 */
export const SYSTEM_NAMESPACES = ['default', 'argocd', 'kube-*'] as const;
const isSystemNamespace = (ns: string) => SYSTEM_NAMESPACES.some((p) => (p.endsWith('*') ? ns.startsWith(p.slice(0, -1)) : ns === p));

/**
 * Checks the whole configuration and returns each environment's tenants as defaulted, validated
 * BookingPlatforms. Throws one Error listing every problem.
 */
export function loadConfig(config: Config): Record<EnvironmentName, BookingPlatform[]> {
  const problems: string[] = [];
  const out = {} as Record<EnvironmentName, BookingPlatform[]>;
  for (const env of ENVIRONMENTS) {
    const c = config[env];
    const where = (what: string) => `${env}: ${what}`;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/.test(c.operator.imageTag)) problems.push(where(`operator.imageTag ${JSON.stringify(c.operator.imageTag)} is not an image tag`));
    if (!/^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(c.operator.awsRegion)) problems.push(where(`operator.awsRegion ${JSON.stringify(c.operator.awsRegion)} is not an AWS region`));
    if (!/^(https:\/\/|git@|ssh:\/\/)\S+$/.test(c.argocd.repoURL)) problems.push(where('argocd.repoURL must be an https or ssh Git URL'));
    if (!c.argocd.targetRevision) problems.push(where('argocd.targetRevision is empty'));
    if (!c.argocd.path || c.argocd.path.startsWith('/')) problems.push(where('argocd.path must be a path inside the repository'));

    const seen = new Set<string>();
    const platforms: BookingPlatform[] = [];
    for (const [i, tenant] of c.tenants.entries()) {
      const label = `tenants[${i}] (${tenant.namespace}/${tenant.name})`;
      if (!DNS_LABEL.test(tenant.namespace) || tenant.namespace.length > 63) problems.push(where(`${label}: namespace must be a DNS label`));
      if (tenant.namespace === OPERATOR_NAMESPACE || isSystemNamespace(tenant.namespace)) {
        problems.push(where(`${label}: namespace ${tenant.namespace} is reserved`));
      }
      if (seen.has(tenant.namespace)) problems.push(where(`${label}: one tenant per namespace (${tenant.namespace} is taken)`));
      seen.add(tenant.namespace);
      const parsed = parsePlatform(tenantPlatform(tenant));
      if (parsed.ok) platforms.push(parsed.platform);
      else for (const e of parsed.errors) problems.push(where(`${label}: ${e.path ? `${e.path}: ` : ''}${e.message}`));
    }

    const watched = c.operator.watchNamespaces;
    if (new Set(watched).size !== watched.length) problems.push(where('operator.watchNamespaces has duplicates'));
    if (watched.length) {
      for (const ns of seen) if (!watched.includes(ns)) problems.push(where(`tenant namespace ${ns} is not in operator.watchNamespaces: the operator would ignore it`));
      for (const ns of watched) if (!seen.has(ns)) problems.push(where(`operator.watchNamespaces: ${ns} is no tenant's namespace (the platforms app creates the watched namespaces)`));
    }
    out[env] = platforms;
  }
  if (problems.length) throw new Error(`invalid cdk8s/config.ts:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return out;
}
