/**
 * Managed IAM, as pure functions: which components of a platform get a role, the role's name and
 * path, its identity policy and its trust policy. No client, clock or env: the sdk and ack paths
 * (and the tests) see the same documents.
 *
 * Least privilege: every statement names the ARNs it is for — the platform's own uploads bucket,
 * the platform's own secrets, the models and agents the spec lists, the ARNs a service lists —
 * never `*` where the ARN is known. A component gets a role only when it needs AWS, and never when
 * the spec gives it a role by ARN (that one wins).
 */
import type { BookingPlatform } from '../../api/types.generated.ts';
import { uploadsBucketName } from '../../render/ack/s3.ts';
import { awsName, childName, identityHash, type RenderContext } from '../../render/names.ts';

export const POLICY_VERSION = '2012-10-17';
/** The one inline policy the operator puts on each of its roles. */
export const INLINE_POLICY_NAME = 'booking-operator';
/** IAM's limit for a role's inline policies together (characters, whitespace excluded). */
export const INLINE_POLICY_MAX_CHARS = 10_240;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string>;
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: typeof POLICY_VERSION;
  Statement: Statement[];
}

/** Where the trust policy points: the cluster's OIDC provider (IRSA), or EKS Pod Identity. */
export type Trust = { kind: 'irsa'; oidcProviderArn: string } | { kind: 'podIdentity'; eksClusterName: string };

/** One component's managed role. */
export interface ManagedRole {
  /** `backend`, `mcp-<name>` or a service's name: the key of facts.roleArns. */
  component: string;
  /** Its ServiceAccount (`<platform>-<component>`). */
  serviceAccount: string;
  /** IAM role name (≤ 64), deterministic per cluster, namespace, platform and component. */
  roleName: string;
  policy: PolicyDocument;
}

/** What only AWS knows and the backend's policy may name: the RDS-managed master secret. */
export interface IamFacts {
  masterUserSecretArn?: string;
}

export function partition(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

/** `/booking/<hash>/`: every role of one platform, and only those, under one path (ListRoles by prefix). */
export function rolePath(p: BookingPlatform, ctx: RenderContext): string {
  return `/booking/${identityHash(p, ctx)}/`;
}

export function roleName(p: BookingPlatform, ctx: RenderContext, component: string): string {
  return awsName(p, ctx, component, 64);
}

/** The components that get a managed role and what each may do (none without `spec.iam`). */
export function managedRoles(p: BookingPlatform, ctx: RenderContext, facts: IamFacts = {}): ManagedRole[] {
  if (!p.spec.iam || !p.spec.aws?.accountId) return [];
  const out: ManagedRole[] = [];
  const add = (component: string, statements: Statement[]) => {
    if (statements.length) out.push({ component, serviceAccount: childName(p, component), roleName: roleName(p, ctx, component), policy: { Version: POLICY_VERSION, Statement: statements } });
  };
  if (!p.spec.backend.iamRoleArn) add('backend', backendStatements(p, ctx, facts));
  for (const m of p.spec.mcpServers ?? []) if (m.enabled && !m.iamRoleArn) add(`mcp-${m.name}`, askedStatements(p, m));
  for (const s of p.spec.services ?? []) if (s.enabled && !s.iamRoleArn) add(s.name, askedStatements(p, s));
  return out;
}

/** The backend: read/write on the platform's uploads bucket, read on the platform's secrets. */
function backendStatements(p: BookingPlatform, ctx: RenderContext, facts: IamFacts): Statement[] {
  const aws = p.spec.aws!;
  const part = partition(aws.region);
  const out: Statement[] = [];
  if (p.spec.uploads?.enabled) {
    const bucket = `arn:${part}:s3:::${uploadsBucketName(p, ctx)}`;
    out.push({ Sid: 'UploadsBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] });
    out.push({ Sid: 'UploadsObjects', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: [`${bucket}/*`] });
  }
  const secrets = [
    ...(p.spec.secrets?.entries ?? []).flatMap((e) => (e.secretsManager ? [secretArn(part, aws.region, aws.accountId!, e.secretsManager.secretId)] : [])),
    ...(facts.masterUserSecretArn ? [facts.masterUserSecretArn] : []),
  ];
  if (secrets.length) out.push({ Sid: 'PlatformSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: unique(secrets) });
  return out;
}

/**
 * A Secrets Manager secret by name or ARN. A name becomes the ARN with AWS's six random
 * characters as `??????` (AWS adds `-` and six characters to every secret's ARN); an ARN stays as given.
 */
export function secretArn(part: string, region: string, account: string, secretId: string): string {
  return secretId.startsWith('arn:') ? secretId : `arn:${part}:secretsmanager:${region}:${account}:secret:${secretId}-??????`;
}

interface AsksForAws {
  iamPolicy?: { statements: Array<{ effect: 'Allow' | 'Deny'; actions: string[]; resources: string[] }> };
  bedrock?: { actions: string[]; modelIds?: string[]; modelArns?: string[]; agentAliasArns?: string[] };
}

/** An MCP server or further service: Bedrock on the listed models and agents, and its own statements. */
function askedStatements(p: BookingPlatform, e: AsksForAws): Statement[] {
  const region = p.spec.aws!.region;
  const part = partition(region);
  const out: Statement[] = [];
  const b = e.bedrock;
  if (b) {
    const models = unique([...(b.modelIds ?? []).map((id) => `arn:${part}:bedrock:${region}::foundation-model/${id}`), ...(b.modelArns ?? [])]);
    if (models.length) out.push({ Sid: 'BedrockModels', Effect: 'Allow', Action: unique(b.actions), Resource: models });
    if (b.agentAliasArns?.length) out.push({ Sid: 'BedrockAgents', Effect: 'Allow', Action: ['bedrock:InvokeAgent'], Resource: unique(b.agentAliasArns) });
  }
  for (const [i, s] of (e.iamPolicy?.statements ?? []).entries()) {
    out.push({ Sid: `Asked${i}`, Effect: s.effect, Action: unique(s.actions), Resource: unique(s.resources) });
  }
  return out;
}

/**
 * Who may assume the role. IRSA: the cluster's OIDC provider, for exactly this ServiceAccount and
 * the STS audience. Pod Identity: the EKS Pod Identity service, for exactly this cluster,
 * namespace and ServiceAccount (the session tags EKS sets), with the tag-session right it needs.
 */
export function trustPolicy(trust: Trust, namespace: string, serviceAccount: string): PolicyDocument {
  if (trust.kind === 'irsa') {
    const issuer = oidcIssuer(trust.oidcProviderArn);
    return {
      Version: POLICY_VERSION,
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: trust.oidcProviderArn },
          Action: ['sts:AssumeRoleWithWebIdentity'],
          Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${issuer}:aud`]: 'sts.amazonaws.com' } },
        },
      ],
    };
  }
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-name': trust.eksClusterName,
            'aws:RequestTag/kubernetes-namespace': namespace,
            'aws:RequestTag/kubernetes-service-account': serviceAccount,
          },
        },
      },
    ],
  };
}

/** `arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC` → `oidc.eks.us-east-1.amazonaws.com/id/ABC`. */
export function oidcIssuer(oidcProviderArn: string): string {
  const m = /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/(.+)$/.exec(oidcProviderArn);
  if (!m) throw new Error(`not an OIDC provider ARN: ${oidcProviderArn}`);
  return m[1]!;
}

export const OIDC_PROVIDER_ARN_PATTERN = /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/[^\s]+$/;

/** Compact JSON, as IAM counts it against its size limits. */
export function policyText(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/**
 * A policy document as comparable data: IAM may give back a single action or resource as a string
 * and keys in another order; this makes both forms equal.
 */
export function normalizePolicy(doc: unknown): unknown {
  const d = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { Version?: string; Statement?: unknown };
  const statements = Array.isArray(d.Statement) ? d.Statement : d.Statement ? [d.Statement] : [];
  const list = (v: unknown) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String).sort());
  return {
    Version: d.Version,
    Statement: statements.map((s: Record<string, unknown>) => sortKeys({ ...s, Action: list(s.Action), Resource: list(s.Resource) })),
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

const unique = (xs: string[]) => [...new Set(xs)];
