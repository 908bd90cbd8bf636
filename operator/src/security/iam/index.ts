/**
 * The `iam` security part: one least-privilege IAM role per component that needs AWS
 * (`spec.iam`), made the way the platform's provisioner makes things — ACK iam-controller `Role`
 * objects (`ack`) or IAM SDK calls (`sdk`) — and its ARN handed to the renderers
 * (`facts.roleArns`: the ServiceAccount's IRSA annotation). With Pod Identity (`sdk` only) an EKS
 * association per ServiceAccount takes the annotation's place.
 *
 * Deletion follows the platform: ACK Role objects are owned children (pruned, garbage-collected;
 * ACK deletes the role); with `sdk` the roles under the platform's path that are no longer wanted
 * are deleted every pass, and all of them on deletion (remove()).
 */
import type { Logger } from 'pino';
import { isAurora } from '../../api/platform.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { clientPool, type AwsClients } from '../../aws/clients.ts';
import type { AwsContext } from '../../aws/context.ts';
import { stateForError } from '../../aws/errors.ts';
import { ensurePodIdentity, ensureRole, masterUserSecretArn, removePodIdentities, removeRoles } from '../../aws/iam.ts';
import type { Config } from '../../config.ts';
import { combine } from '../../data/lifecycle.ts';
import { notReady, ready, type FinalizeResult, type ServiceState } from '../../data/types.ts';
import { ACK } from '../../render/ack/common.ts';
import { dbIdentifier } from '../../render/ack/rds.ts';
import type { RenderContext } from '../../render/names.ts';
import type { PartObservation, SecurityEnv, SecurityPart } from '../types.ts';
import { ACK_IAM, ackRole, ackRoleState } from './ack.ts';
import { INLINE_POLICY_MAX_CHARS, INLINE_POLICY_NAME, managedRoles, policyText, rolePath, trustPolicy, type ManagedRole, type Trust } from './policies.ts';

export interface IamPartDeps {
  config: Config;
  log: Logger;
  /** AWS clients per region (default: built from the config's AWS settings). */
  clients?: (region: string) => AwsClients;
}

/** Looked at again this often while a role or association is pending. */
const PENDING_REQUEUE_MS = 15_000;

export function iamPart(deps: IamPartDeps): SecurityPart {
  const { config } = deps;
  const pool = deps.clients ?? (config.awsRegion ? clientPool({ endpoint: config.awsEndpoint }) : undefined);
  const sdkReady = () => Boolean(pool && config.awsRegion && config.clusterName);
  const awsContext = (env: SecurityEnv): AwsContext => ({ clients: pool!(config.awsRegion!), region: config.awsRegion!, log: deps.log.child({ part: 'iam' }), render: env.ctx });

  return {
    name: 'iam',
    wanted: (p) => p.spec.iam !== undefined,
    needsCleanup: (p) => p.spec.provisioner === 'sdk' && sdkReady(),

    async observe(p, env) {
      const wanted = p.spec.iam !== undefined;
      if (p.spec.provisioner === 'ack') return wanted ? observeAck(p, env) : { state: ready('no managed roles') };
      if (p.spec.provisioner !== 'sdk') return { state: ready('no managed roles') };
      if (!sdkReady()) {
        return { state: notReady('ProvisionerUnavailable', 'managed IAM roles with provisioner sdk need the operator’s AWS access and cluster identity (chart values aws.region, clusterName)', true) };
      }
      const ctx = awsContext(env);
      if (!wanted) {
        // the iam section was removed: its roles (and associations) go
        try {
          await cleanUp(ctx, p, new Set(), new Set());
          return { state: ready('no managed roles') };
        } catch (err) {
          return { state: stateForError(err), requeueAfterMs: 30_000 };
        }
      }
      return observeSdk(ctx, p, env);
    },

    async remove(p, env) {
      if (p.spec.provisioner !== 'sdk' || !sdkReady()) return { done: true, message: 'no managed roles' };
      try {
        // an IRSA platform never had associations; without iam the trust it had is unknown
        const gone = await cleanUp(awsContext(env), p, new Set(), p.spec.iam?.trust === 'irsa' ? undefined : new Set());
        return { done: true, message: gone.length ? `deleted ${gone.join(', ')}` : 'no managed roles' };
      } catch (err) {
        return { done: false, message: stateForError(err).message } satisfies FinalizeResult;
      }
    },
  };

  function trustFor(p: BookingPlatform): Trust | ServiceState {
    if (p.spec.iam?.trust === 'podIdentity') {
      return config.eksClusterName
        ? { kind: 'podIdentity', eksClusterName: config.eksClusterName }
        : notReady('NoEksClusterName', 'iam.trust podIdentity needs the EKS cluster’s name (operator setting BOOKING_EKS_CLUSTER_NAME; chart value iam.eksClusterName)', true);
    }
    return config.oidcProviderArn
      ? { kind: 'irsa', oidcProviderArn: config.oidcProviderArn }
      : notReady('NoOidcProvider', 'iam.trust irsa needs the cluster’s IAM OIDC provider (operator setting BOOKING_OIDC_PROVIDER_ARN; chart value iam.oidcProviderArn)', true);
  }

  function observeAck(p: BookingPlatform, env: SecurityEnv): PartObservation {
    const trust = trustFor(p);
    if (!('kind' in trust)) return { state: trust };
    const ns = p.metadata.namespace ?? 'default';
    const roles = managedRoles(p, env.ctx, { masterUserSecretArn: ackMasterUserSecretArn(p, env) });
    const tooLarge = oversized(roles);
    if (tooLarge) return { state: tooLarge };
    const roleArns: Record<string, string> = {};
    const states = roles.map((r) => {
      const s = ackRoleState(r.roleName, env.get(ACK_IAM, 'Role', ns, r.roleName) as Parameters<typeof ackRoleState>[1]);
      if (s.arn) roleArns[r.component] = s.arn;
      return s;
    });
    return finish(roles, states, roleArns, roles.map((r) => ackRole(p, env.ctx, trust, r)));
  }

  async function observeSdk(ctx: AwsContext, p: BookingPlatform, env: SecurityEnv): Promise<PartObservation> {
    const trust = trustFor(p);
    if (!('kind' in trust)) return { state: trust };
    const ns = p.metadata.namespace ?? 'default';
    let secretArn: string | undefined;
    try {
      secretArn = p.spec.database?.credentials?.mode === 'managed' ? await masterUserSecretArn(ctx, p) : undefined;
    } catch (err) {
      return { state: stateForError(err), requeueAfterMs: 30_000 };
    }
    const roles = managedRoles(p, env.ctx, { masterUserSecretArn: secretArn });
    const tooLarge = oversized(roles);
    if (tooLarge) return { state: tooLarge };
    const roleArns: Record<string, string> = {};
    const states: ServiceState[] = [];
    for (const r of roles) {
      let s: ServiceState;
      try {
        const role = await ensureRole(ctx, p, {
          roleName: r.roleName,
          path: rolePath(p, env.ctx),
          description: `booking-operator: ${r.component} of ${ns}/${p.metadata.name}`,
          trust: policyText(trustPolicy(trust, ns, r.serviceAccount)),
          policyName: INLINE_POLICY_NAME,
          policy: policyText(r.policy),
        });
        s = role;
        if (role.ready && role.arn && trust.kind === 'podIdentity') s = await ensurePodIdentity(ctx, p, trust.eksClusterName, ns, r.serviceAccount, role.arn);
        if (s.ready && role.arn) roleArns[r.component] = role.arn;
      } catch (err) {
        s = stateForError(err);
      }
      states.push(s);
    }
    try {
      await cleanUp(ctx, p, new Set(roles.map((r) => r.roleName)), trust.kind === 'podIdentity' ? new Set(roles.map((r) => r.serviceAccount)) : undefined);
    } catch (err) {
      states.push(stateForError(err));
    }
    return finish(roles, states, roleArns);
  }

  /**
   * Associations first (they name the roles), then the roles; only what carries this platform's
   * tags. `keepServiceAccounts` undefined: associations are not looked at (IRSA; trust is immutable).
   */
  async function cleanUp(ctx: AwsContext, p: BookingPlatform, keepRoles: Set<string>, keepServiceAccounts: Set<string> | undefined): Promise<string[]> {
    const gone: string[] = [];
    if (keepServiceAccounts && config.eksClusterName) gone.push(...(await removePodIdentities(ctx, p, config.eksClusterName, p.metadata.namespace ?? 'default', keepServiceAccounts)));
    gone.push(...(await removeRoles(ctx, p, rolePath(p, ctx.render), keepRoles)));
    return gone;
  }
}

function finish(roles: ManagedRole[], states: ServiceState[], roleArns: Record<string, string>, objects?: PartObservation['objects']): PartObservation {
  const notYet = states.filter((s) => !s.ready);
  const state = !roles.length
    ? ready('no component needs an AWS role')
    : notYet.length
      ? notReady(notYet[0]!.reason, notYet.map((s) => s.message).join('; '), notYet.every((s) => s.terminal))
      : combine(states, ready(`IAM roles of ${roles.map((r) => r.component).join(', ')}`));
  const pending = states.some((s) => (!s.ready && !s.terminal) || s.converged === false);
  return { state, facts: { roleArns }, ...(objects ? { objects } : {}), ...(pending ? { requeueAfterMs: PENDING_REQUEUE_MS } : {}) };
}

/** IAM refuses inline policies above its size limit: say so here, naming the component, instead of a raw AWS error. */
function oversized(roles: ManagedRole[]): ServiceState | undefined {
  const big = roles.find((r) => policyText(r.policy).length > INLINE_POLICY_MAX_CHARS);
  return big ? notReady('PolicyTooLarge', `the policy of ${big.component} has ${policyText(big.policy).length} characters; IAM allows ${INLINE_POLICY_MAX_CHARS} (fewer statements or resources)`, true) : undefined;
}

/** The RDS-managed master secret's ARN from the ACK object's status, when RDS manages the password. */
function ackMasterUserSecretArn(p: BookingPlatform, env: SecurityEnv): string | undefined {
  const db = p.spec.database;
  if (db?.credentials?.mode !== 'managed') return undefined;
  const ctx: RenderContext = env.ctx;
  const live = env.get(ACK.rds, isAurora(db) ? 'DBCluster' : 'DBInstance', p.metadata.namespace ?? 'default', dbIdentifier(p, ctx)) as { status?: { masterUserSecret?: { secretARN?: string } } } | undefined;
  return live?.status?.masterUserSecret?.secretARN;
}
