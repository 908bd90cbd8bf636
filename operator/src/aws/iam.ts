/**
 * Managed IAM through the SDK (the `sdk` path of security/iam): one role per component, its one
 * inline policy, and, with Pod Identity, one EKS association per ServiceAccount. The documents come
 * from pure functions (security/iam/policies.ts); this module only makes AWS match them.
 *
 * Ownership as everywhere: a role (or association) under our name without this platform's two
 * owner tags is never changed or deleted — `NotOwned`. Roles of a platform live under one path
 * (`/booking/<hash>/`), so those of components no longer present are found by listing it.
 */
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
  UpdatePodIdentityAssociationCommand,
  type PodIdentityAssociationSummary,
} from '@aws-sdk/client-eks';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { isAurora } from '../api/platform.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { dbIdentifier } from '../render/ack/rds.ts';
import { notReady, ready, type ServiceState } from '../data/types.ts';
import { awsTags } from '../render/names.ts';
import { normalizePolicy } from '../security/iam/policies.ts';
import { notOwned, ownedBy, tagList, type AwsContext } from './context.ts';
import { deepEqual } from '../api/schema-dsl.ts';
import { AwsCallError, call, callOr, hasCode } from './errors.ts';

const NO_ENTITY = ['NoSuchEntity', 'NoSuchEntityException'];
const NOT_FOUND = ['ResourceNotFoundException', 'NotFoundException'];
/** Pages read at most per listing (100 roles or associations each): a bound, not a limit in practice. */
const MAX_PAGES = 20;

export interface WantedRole {
  roleName: string;
  path: string;
  description: string;
  trust: string;
  policyName: string;
  policy: string;
  /** A managed policy ARN: the most the role may ever do, whatever its inline policy says (operator setting). */
  permissionsBoundary?: string;
}

/** Creates the role or brings its trust and inline policy back to what is wanted; its ARN when ours. */
export async function ensureRole(ctx: AwsContext, p: BookingPlatform, w: WantedRole): Promise<ServiceState & { arn?: string }> {
  const iam = ctx.clients.iam;
  let role = await getRole(ctx, w.roleName);
  if (!role) {
    ctx.log.info({ kind: 'IAMRole', id: w.roleName }, 'creating AWS resource');
    // idempotent by name: a retry after a lost answer meets EntityAlreadyExists and reads the role
    const created = await callOr(
      `CreateRole ${w.roleName}`,
      () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: w.roleName,
            Path: w.path,
            Description: w.description,
            AssumeRolePolicyDocument: w.trust,
            MaxSessionDuration: 3600,
            Tags: tagList(ctx, p),
            ...(w.permissionsBoundary ? { PermissionsBoundary: w.permissionsBoundary } : {}),
          }),
        ),
      ['EntityAlreadyExists'],
      undefined,
    );
    role = created?.Role ? { ...created.Role, Tags: created.Role.Tags ?? tagList(ctx, p) } : await getRole(ctx, w.roleName);
    if (!role) return notReady('Creating', `IAM role ${w.roleName} is being created`);
  }
  const tags = role.Tags ?? (await call(`ListRoleTags ${w.roleName}`, () => iam.send(new ListRoleTagsCommand({ RoleName: w.roleName })))).Tags;
  if (!ownedBy(ctx, p, tags)) return notOwned(ctx, p, 'IAM role', w.roleName, tags);

  const changed: string[] = [];
  // the boundary first: a policy put below is never in force without it
  if (w.permissionsBoundary && role.PermissionsBoundary?.PermissionsBoundaryArn !== w.permissionsBoundary) {
    await call(`PutRolePermissionsBoundary ${w.roleName}`, () => iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: w.roleName, PermissionsBoundary: w.permissionsBoundary })));
    changed.push('permissions boundary');
  }
  if (!role.AssumeRolePolicyDocument || !deepEqual(normalizePolicy(decode(role.AssumeRolePolicyDocument)), normalizePolicy(w.trust))) {
    await call(`UpdateAssumeRolePolicy ${w.roleName}`, () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: w.roleName, PolicyDocument: w.trust })));
    changed.push('trust policy');
  }
  const live = await callOr(`GetRolePolicy ${w.roleName}`, () => iam.send(new GetRolePolicyCommand({ RoleName: w.roleName, PolicyName: w.policyName })), NO_ENTITY, undefined);
  if (!live?.PolicyDocument || !deepEqual(normalizePolicy(decode(live.PolicyDocument)), normalizePolicy(w.policy))) {
    await call(`PutRolePolicy ${w.roleName}`, () => iam.send(new PutRolePolicyCommand({ RoleName: w.roleName, PolicyName: w.policyName, PolicyDocument: w.policy })));
    changed.push('inline policy');
  }
  if (changed.length) ctx.log.info({ kind: 'IAMRole', id: w.roleName, fields: changed }, 'correcting drift');
  return { ...ready(`IAM role ${w.roleName}`), arn: role.Arn };
}

/**
 * Deletes the platform's roles under `path` that are not in `keep` and carry its owner tags
 * (inline policies first, managed ones detached, instance profiles left). Returns what it deleted.
 */
export async function removeRoles(ctx: AwsContext, p: BookingPlatform, path: string, keep: ReadonlySet<string>): Promise<string[]> {
  const iam = ctx.clients.iam;
  const roles: Role[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await call(`ListRoles ${path}`, () => iam.send(new ListRolesCommand({ PathPrefix: path, Marker: marker })));
    roles.push(...(out.Roles ?? []));
    if (!out.IsTruncated || !out.Marker) break;
    marker = out.Marker;
  }
  const deleted: string[] = [];
  for (const r of roles) {
    const name = r.RoleName!;
    // PathPrefix matches prefixes of paths: only this exact path is this platform's
    if (keep.has(name) || r.Path !== path) continue;
    const tags = (await callOr(`ListRoleTags ${name}`, () => iam.send(new ListRoleTagsCommand({ RoleName: name })), NO_ENTITY, undefined))?.Tags;
    if (!tags || !ownedBy(ctx, p, tags)) continue;
    await deleteRole(ctx, name);
    deleted.push(name);
  }
  return deleted;
}

async function deleteRole(ctx: AwsContext, name: string): Promise<void> {
  const iam = ctx.clients.iam;
  ctx.log.info({ kind: 'IAMRole', id: name }, 'deleting AWS resource');
  const inline = await callOr(`ListRolePolicies ${name}`, () => iam.send(new ListRolePoliciesCommand({ RoleName: name })), NO_ENTITY, undefined);
  for (const policy of inline?.PolicyNames ?? []) {
    await callOr(`DeleteRolePolicy ${name} ${policy}`, () => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })), NO_ENTITY, undefined);
  }
  const attached = await callOr(`ListAttachedRolePolicies ${name}`, () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })), NO_ENTITY, undefined);
  for (const a of attached?.AttachedPolicies ?? []) {
    await callOr(`DetachRolePolicy ${name}`, () => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: a.PolicyArn })), NO_ENTITY, undefined);
  }
  const profiles = await callOr(`ListInstanceProfilesForRole ${name}`, () => iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: name })), NO_ENTITY, undefined);
  for (const ip of profiles?.InstanceProfiles ?? []) {
    await callOr(`RemoveRoleFromInstanceProfile ${name}`, () => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: name, InstanceProfileName: ip.InstanceProfileName })), NO_ENTITY, undefined);
  }
  await callOr(`DeleteRole ${name}`, () => iam.send(new DeleteRoleCommand({ RoleName: name })), NO_ENTITY, undefined);
}

async function getRole(ctx: AwsContext, name: string): Promise<Role | undefined> {
  return (await callOr(`GetRole ${name}`, () => ctx.clients.iam.send(new GetRoleCommand({ RoleName: name })), NO_ENTITY, undefined))?.Role;
}

/** IAM returns policy documents URL-encoded. */
function decode(doc: string): string {
  return doc.trimStart().startsWith('{') ? doc : decodeURIComponent(doc);
}

/** The EKS Pod Identity association of one ServiceAccount: created, or pointed at `roleArn`. */
export async function ensurePodIdentity(ctx: AwsContext, p: BookingPlatform, cluster: string, namespace: string, serviceAccount: string, roleArn: string): Promise<ServiceState> {
  const eks = ctx.clients.eks;
  const id = `${cluster}/${namespace}/${serviceAccount}`;
  const [found] = await listAssociations(ctx, cluster, namespace, serviceAccount);
  if (!found) {
    ctx.log.info({ kind: 'PodIdentityAssociation', id }, 'creating AWS resource');
    await call(`CreatePodIdentityAssociation ${id}`, () =>
      eks.send(new CreatePodIdentityAssociationCommand({ clusterName: cluster, namespace, serviceAccount, roleArn, tags: awsTags(p, ctx.render) })),
    );
    return ready(`Pod Identity association ${id}`);
  }
  const a = (await call(`DescribePodIdentityAssociation ${id}`, () => eks.send(new DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId: found.associationId })))).association;
  const tags = Object.entries(a?.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  if (!ownedBy(ctx, p, tags)) return notOwned(ctx, p, 'Pod Identity association', `${id} (${found.associationId})`, tags);
  if (a?.roleArn !== roleArn) {
    ctx.log.info({ kind: 'PodIdentityAssociation', id, fields: ['roleArn'] }, 'correcting drift');
    await call(`UpdatePodIdentityAssociation ${id}`, () => eks.send(new UpdatePodIdentityAssociationCommand({ clusterName: cluster, associationId: found.associationId, roleArn })));
  }
  return ready(`Pod Identity association ${id}`);
}

/** Deletes this platform's associations in `namespace` whose ServiceAccount is not in `keep`; returns what it deleted. */
export async function removePodIdentities(ctx: AwsContext, p: BookingPlatform, cluster: string, namespace: string, keep: ReadonlySet<string>): Promise<string[]> {
  const eks = ctx.clients.eks;
  const deleted: string[] = [];
  // an EKS cluster that is not there has no associations to delete
  const listed = await listAssociations(ctx, cluster, namespace).catch((err: unknown) => {
    if (err instanceof AwsCallError && hasCode(err.error, ...NOT_FOUND)) return [];
    throw err;
  });
  for (const s of listed) {
    if (keep.has(s.serviceAccount ?? '')) continue;
    const id = `${cluster}/${namespace}/${s.serviceAccount}`;
    const a = await callOr(`DescribePodIdentityAssociation ${id}`, () => eks.send(new DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId: s.associationId })), NOT_FOUND, undefined);
    const tags = Object.entries(a?.association?.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    if (!a || !ownedBy(ctx, p, tags)) continue;
    ctx.log.info({ kind: 'PodIdentityAssociation', id }, 'deleting AWS resource');
    await callOr(`DeletePodIdentityAssociation ${id}`, () => eks.send(new DeletePodIdentityAssociationCommand({ clusterName: cluster, associationId: s.associationId })), NOT_FOUND, undefined);
    deleted.push(id);
  }
  return deleted;
}

async function listAssociations(ctx: AwsContext, cluster: string, namespace: string, serviceAccount?: string): Promise<PodIdentityAssociationSummary[]> {
  const out: PodIdentityAssociationSummary[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await call(`ListPodIdentityAssociations ${cluster}/${namespace}`, () =>
      ctx.clients.eks.send(new ListPodIdentityAssociationsCommand({ clusterName: cluster, namespace, ...(serviceAccount ? { serviceAccount } : {}), nextToken })),
    );
    out.push(...(r.associations ?? []));
    if (!r.nextToken) break;
    nextToken = r.nextToken;
  }
  return out;
}

/** The RDS-managed master secret's ARN (database.credentials.mode managed), undefined until RDS reports it. */
export async function masterUserSecretArn(ctx: AwsContext, p: BookingPlatform): Promise<string | undefined> {
  const db = p.spec.database;
  if (!db) return undefined;
  const id = dbIdentifier(p, ctx.render);
  if (isAurora(db)) {
    const out = await callOr(`DescribeDBClusters ${id}`, () => ctx.clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })), ['DBClusterNotFound'], undefined);
    return out?.DBClusters?.[0]?.MasterUserSecret?.SecretArn;
  }
  const out = await callOr(`DescribeDBInstances ${id}`, () => ctx.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })), ['DBInstanceNotFound'], undefined);
  return out?.DBInstances?.[0]?.MasterUserSecret?.SecretArn;
}
