/**
 * The `ack` path of managed IAM: one ACK iam-controller `Role` per managed role (the real CRD of
 * github.com/aws-controllers-k8s/iam-controller v1.5.0: name, path, trust document, inline
 * policies, permissions boundary, tags), applied and pruned with the platform's children;
 * deleting the object makes ACK delete the IAM role. The role's ARN comes back in
 * `status.ackResourceMetadata.arn`.
 */
import type { BookingPlatform } from '../../api/types.generated.ts';
import { notReady, ready, type ServiceState } from '../../data/types.ts';
import { ACK_DELETION_POLICY, tagList } from '../../render/ack/common.ts';
import type { KubeObject } from '../../render/index.ts';
import { labels, type RenderContext } from '../../render/names.ts';
import { INLINE_POLICY_NAME, policyText, rolePath, trustPolicy, type ManagedRole, type Trust } from './policies.ts';

export const ACK_IAM = 'iam.services.k8s.aws/v1alpha1';

/**
 * The ACK Role object of one managed role (named as the IAM role, like every ACK object here);
 * `permissionsBoundary` (the operator setting) is the CRD's `spec.permissionsBoundary`.
 */
export function ackRole(p: BookingPlatform, ctx: RenderContext, trust: Trust, r: ManagedRole, permissionsBoundary?: string): KubeObject {
  const namespace = p.metadata.namespace ?? 'default';
  return {
    apiVersion: ACK_IAM,
    kind: 'Role',
    metadata: { name: r.roleName, namespace, labels: labels(p, r.component, 'iam'), annotations: { [ACK_DELETION_POLICY]: 'delete' } },
    spec: {
      name: r.roleName,
      path: rolePath(p, ctx),
      description: `booking-operator: ${r.component} of ${namespace}/${p.metadata.name}`,
      assumeRolePolicyDocument: policyText(trustPolicy(trust, namespace, r.serviceAccount)),
      inlinePolicies: { [INLINE_POLICY_NAME]: policyText(r.policy) },
      maxSessionDuration: 3600,
      ...(permissionsBoundary ? { permissionsBoundary } : {}),
      tags: tagList(p, ctx),
    },
  };
}

type AckRoleStatus = { status?: { ackResourceMetadata?: { arn?: string }; conditions?: Array<{ type: string; status: string; message?: string }> } };

/**
 * A Role object's state, and the ARN to hand to the ServiceAccount. The iam-controller (v1.5.0)
 * creates the role first — its ARN is in status at once, ACK.ResourceSynced False — and puts the
 * inline policies one reconcile later (30 s on): a role with an ARN and nothing synced yet has no
 * permissions, so it is not handed over until ACK reports it synced. A role with an ARN and ACK's
 * error (ACK.Terminal: IAM refused a document, e.g. MalformedPolicyDocument; ACK.Recoverable) is
 * not ready, ACK's message quoted, but keeps its ARN: a role in use works on as it was, and taking
 * it off the ServiceAccount would roll the pods without any role.
 */
export function ackRoleState(name: string, live: AckRoleStatus | undefined): ServiceState & { arn?: string } {
  if (!live) return notReady('Creating', `Role ${name} does not exist yet`);
  const cond = (type: string) => live.status?.conditions?.find((c) => c.type === type);
  const arn = live.status?.ackResourceMetadata?.arn;
  const terminal = cond('ACK.Terminal');
  if (terminal?.status === 'True') return { ...notReady('ACKTerminal', `Role ${name}: ${terminal.message ?? 'terminal error'}`, true), ...(arn ? { arn } : {}) };
  const recoverable = cond('ACK.Recoverable');
  if (recoverable?.status === 'True') return { ...notReady('ACKRecoverable', `Role ${name}: ${recoverable.message ?? 'recoverable error'}`), ...(arn ? { arn } : {}) };
  if (!arn) return notReady('Creating', `Role ${name} has no ARN yet`);
  if (cond('ACK.ResourceSynced')?.status !== 'True') return notReady('Syncing', `Role ${name} exists; ACK has not put its policies yet`);
  return { ...ready(`Role ${name} exists`), arn };
}
