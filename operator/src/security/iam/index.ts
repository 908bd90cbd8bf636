/**
 * The `iam` security part: one least-privilege IAM role per component that needs AWS
 * (`spec.iam`), made the way the platform's provisioner makes things — ACK iam-controller `Role`
 * objects (`ack`) or IAM SDK calls (`sdk`) — and its ARN handed to the renderers
 * (`facts.roleArns`: the ServiceAccount's IRSA annotation). With Pod Identity (`sdk` only) an EKS
 * association per ServiceAccount takes the annotation's place.
 *
 * Deletion follows the platform: ACK Role objects are owned children (pruned, garbage-collected;
 * ACK deletes the role); with `sdk` the roles under the platform's path that are no longer wanted
 * are deleted every pass, and all of them on deletion (remove()). What `sdk` cleans up follows the
 * record on the platform (record.ts), written before the first role is created: a platform that
 * never had managed roles makes no IAM call and never waits on IAM to be deleted.
 */
import type { Logger } from 'pino';
import { isAurora } from '../../api/platform.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import type { AwsContext } from '../../aws/context.ts';
import { stateForError } from '../../aws/errors.ts';
import type { Config } from '../../config.ts';
import { combine } from '../../data/lifecycle.ts';
import { notReady, ready, type FinalizeResult, type ServiceState } from '../../data/types.ts';
import { ACK } from '../../render/ack/common.ts';
import { dbIdentifier } from '../../render/ack/rds.ts';
import type { RenderContext } from '../../render/names.ts';
import { MANAGED_ROLE_ANNOTATION } from '../../render/workload.ts';
import { lazyClientPool } from '../lazy-aws.ts';
import type { PartObservation, SecurityEnv, SecurityPart } from '../types.ts';
import { ACK_IAM, ackRole, ackRoleState } from './ack.ts';
import { clearOps, recordedTrusts, recordOps, type TrustKind } from './record.ts';
import { INLINE_POLICY_MAX_CHARS, INLINE_POLICY_NAME, managedRoles, policyText, rolePath, trustPolicy, type ManagedRole, type Trust } from './policies.ts';

export interface IamPartDeps {
  config: Config;
  log: Logger;
  /** AWS clients per region (default: built from the config's AWS settings). */
  clients?: (region: string) => AwsClients;
}

/** Looked at again this often while a role or association is pending. */
const PENDING_REQUEUE_MS = 15_000;

/** Loaded on the first call that needs AWS, as the clients are (../lazy-aws.ts). */
const iamApi = () => import('../../aws/iam.ts');

export function iamPart(deps: IamPartDeps): SecurityPart {
  const { config } = deps;
  const pool = deps.clients ?? (config.awsRegion ? lazyClientPool(config.awsEndpoint) : undefined);
  const sdkReady = () => Boolean(pool && config.awsRegion && config.clusterName);
  const awsContext = async (env: SecurityEnv): Promise<AwsContext> => ({ clients: await pool!(config.awsRegion!), region: config.awsRegion!, log: deps.log.child({ part: 'iam' }), render: env.ctx });

  return {
    name: 'iam',
    wanted: (p) => p.spec.iam !== undefined,
    // asking for roles is enough (the finalizer comes before the first create); afterwards the record says
    needsCleanup: (p) => p.spec.provisioner === 'sdk' && sdkReady() && (p.spec.iam !== undefined || recordedTrusts(p.metadata.annotations) !== undefined),

    async observe(p, env) {
      const wanted = p.spec.iam !== undefined;
      if (p.spec.provisioner === 'ack') return wanted ? observeAck(p, env) : { state: ready('no managed roles') };
      if (p.spec.provisioner !== 'sdk') return { state: ready('no managed roles') };
      const recorded = recordedTrusts(annotationsOf(env));
      if (!wanted && !recorded) return { state: ready('no managed roles') };
      if (!sdkReady()) {
        return { state: notReady('ProvisionerUnavailable', 'managed IAM roles with provisioner sdk need the operator’s AWS access and cluster identity (chart values aws.region, clusterName)', true) };
      }
      const ctx = await awsContext(env);
      if (!wanted) {
        // the iam section was removed: its roles (and associations) go, then the record
        try {
          await cleanUp(ctx, p, new Set(), recorded?.has('podIdentity') ? new Set() : undefined);
          const ops = clearOps(annotationsOf(env));
          if (ops.length) await env.patchPlatform(ops);
          return { state: ready('no managed roles') };
        } catch (err) {
          return { state: stateForError(err), requeueAfterMs: 30_000 };
        }
      }
      return observeSdk(ctx, p, env);
    },

    async remove(p, env) {
      if (p.spec.provisioner !== 'sdk' || !sdkReady()) return { done: true, message: 'no managed roles' };
      const recorded = recordedTrusts(annotationsOf(env));
      if (!recorded) return { done: true, message: 'no managed roles' };
      try {
        // associations only where roles were made for Pod Identity
        const gone = await cleanUp(await awsContext(env), p, new Set(), recorded.has('podIdentity') ? new Set() : undefined);
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
    const ns = p.metadata.namespace ?? 'default';
    const roles = managedRoles(p, env.ctx, { masterUserSecretArn: ackMasterUserSecretArn(p, env) });
    if (!('kind' in trust)) return { state: trust, ...liveAckRoles(ns, roles, env) };
    const tooLarge = oversized(roles);
    if (tooLarge) return { state: tooLarge, ...liveAckRoles(ns, roles, env) };
    const roleArns: Record<string, string> = {};
    const states = roles.map((r) => {
      const s = ackRoleState(r.roleName, env.get(ACK_IAM, 'Role', ns, r.roleName) as Parameters<typeof ackRoleState>[1]);
      if (s.arn) roleArns[r.component] = s.arn;
      return s;
    });
    return finish(roles, states, roleArns, roles.map((r) => ackRole(p, env.ctx, trust, r, config.iamPermissionsBoundary)));
  }

  async function observeSdk(ctx: AwsContext, p: BookingPlatform, env: SecurityEnv): Promise<PartObservation> {
    const trust = trustFor(p);
    if (!('kind' in trust)) return { state: trust };
    const ns = p.metadata.namespace ?? 'default';
    // the record first: nothing is created that deletion would not know to look for
    let trusts: Set<TrustKind>;
    try {
      trusts = await record(env, trust.kind);
    } catch (err) {
      return { state: notReady('RecordFailed', `could not record on the platform that it has managed roles, so none is created yet: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`), requeueAfterMs: PENDING_REQUEUE_MS };
    }
    const { ensurePodIdentity, ensureRole, masterUserSecretArn } = await iamApi();
    let secretArn: string | undefined;
    try {
      secretArn = p.spec.database?.credentials?.mode === 'managed' ? await masterUserSecretArn(ctx, p) : undefined;
    } catch (err) {
      // which components have roles does not depend on the secret's ARN (only their policies do)
      const known = managedRoles(p, env.ctx, { masterUserSecretArn: p.spec.database?.credentials?.mode === 'managed' ? 'unknown' : undefined });
      return { state: stateForError(err), facts: { roleArns: knownRoleArns(ns, known, env) }, requeueAfterMs: 30_000 };
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
          permissionsBoundary: config.iamPermissionsBoundary,
        });
        s = role;
        if (role.ready && role.arn && trust.kind === 'podIdentity') s = await ensurePodIdentity(ctx, p, trust.eksClusterName, ns, r.serviceAccount, role.arn);
        if (s.ready && role.arn) roleArns[r.component] = role.arn;
      } catch (err) {
        s = stateForError(err);
        // the role could not be read this pass: the component keeps the one it runs with
        Object.assign(roleArns, knownRoleArns(ns, [r], env));
      }
      states.push(s);
    }
    try {
      const keepServiceAccounts = trust.kind === 'podIdentity' ? new Set(roles.map((r) => r.serviceAccount)) : trusts.has('podIdentity') ? new Set<string>() : undefined;
      await cleanUp(ctx, p, new Set(roles.map((r) => r.roleName)), keepServiceAccounts);
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
    const { removePodIdentities, removeRoles } = await iamApi();
    const gone: string[] = [];
    if (keepServiceAccounts && config.eksClusterName) gone.push(...(await removePodIdentities(ctx, p, config.eksClusterName, p.metadata.namespace ?? 'default', keepServiceAccounts)));
    gone.push(...(await removeRoles(ctx, p, rolePath(p, ctx.render), keepRoles)));
    return gone;
  }
}

function annotationsOf(env: SecurityEnv): Record<string, string> | undefined {
  return env.raw.metadata.annotations as Record<string, string> | undefined;
}

/** Adds this trust to the platform's record of managed roles (a write only when it is new); the trusts recorded. */
async function record(env: SecurityEnv, trust: TrustKind): Promise<Set<TrustKind>> {
  const ops = recordOps(annotationsOf(env), env.raw.metadata.resourceVersion, trust);
  if (ops.length) await env.patchPlatform(ops);
  return recordedTrusts(annotationsOf(env)) ?? new Set([trust]);
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

/**
 * A configuration error on the ack path (no OIDC provider or EKS cluster name, a policy too large):
 * the Role objects that exist are kept as they are — pruning one makes ACK delete the IAM role —
 * and their ARNs handed over as before, so nothing that runs changes.
 */
function liveAckRoles(ns: string, roles: ManagedRole[], env: SecurityEnv): Pick<PartObservation, 'facts' | 'keep'> {
  const roleArns: Record<string, string> = {};
  const keep: NonNullable<PartObservation['keep']> = [];
  for (const r of roles) {
    const live = env.get(ACK_IAM, 'Role', ns, r.roleName);
    if (!live) continue;
    keep.push({ apiVersion: ACK_IAM, kind: 'Role', namespace: ns, name: r.roleName });
    const { arn } = ackRoleState(r.roleName, live as Parameters<typeof ackRoleState>[1]);
    if (arn) roleArns[r.component] = arn;
  }
  return { facts: { roleArns }, keep };
}

/**
 * The ARNs the components run with now, for a pass that could not read their roles: the
 * ServiceAccount's IRSA annotation, or (Pod Identity) the pod template's record of the role.
 */
function knownRoleArns(ns: string, roles: ManagedRole[], env: SecurityEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of roles) {
    const sa = env.get('v1', 'ServiceAccount', ns, r.serviceAccount)?.metadata.annotations?.[IRSA_ANNOTATION];
    const pods = ['Deployment', 'StatefulSet'].map((kind) => env.get('apps/v1', kind, ns, r.serviceAccount)?.spec?.template?.metadata?.annotations?.[MANAGED_ROLE_ANNOTATION]).find(Boolean);
    const arn = sa ?? pods;
    if (typeof arn === 'string') out[r.component] = arn;
  }
  return out;
}

const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

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
