/**
 * Admin sign-in at the ALB (`ingress.adminAuth`): says whether the sign-in the admin Ingress
 * needs is in place, and with `cognito.create` (provisioner sdk) creates and corrects the user
 * pool, app client and domain (aws/cognito.ts).
 *
 * facts.adminAuth is given only when sign-in is in place, so the admin host is never served
 * without it; while something fails after it was in place, the ids the live admin Ingress carries
 * are kept (a transient AWS error does not take the admin UI down). A pool the operator created is
 * recorded on the platform (USER_POOL_ANNOTATION: its id and deletionPolicy) as soon as it exists,
 * so removing the section, switching to another provider or deleting the platform still carries
 * out that policy, even when the pool never became usable (its domain still creating, or taken)
 * and no admin Ingress was ever rendered. Pools recorded only on the admin Ingress (earlier builds)
 * are still found there. The app client's secret never leaves AWS: the ALB reads it from Cognito.
 */
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { AwsClients } from '../../aws/clients.ts';
import type { AwsContext } from '../../aws/context.ts';
import { stateForError } from '../../aws/errors.ts';
import { notReady, ready, settling, type FinalizeResult, type ServiceState } from '../../data/types.ts';
import { cognitoIdsOf, USER_POOL_POLICY_ANNOTATION } from '../../render/ingress.ts';
import { childName, PLATFORM_LABEL } from '../../render/names.ts';
import { lazyClientPool } from '../lazy-aws.ts';
import type { SecurityDeps } from '../parts.ts';
import type { JsonPatchOp, PartObservation, SecurityEnv, SecurityPart } from '../types.ts';

/** How soon to look again while the pool, client or domain is being created, or drift was corrected. */
export const ADMIN_AUTH_REQUEUE_MS = 15_000;
const OIDC_KEYS = ['clientID', 'clientSecret'];

type Policy = 'Retain' | 'Delete';
const isPolicy = (v: unknown): v is Policy => v === 'Retain' || v === 'Delete';

/** On the platform: the user pool the operator created for it, `{"userPoolId": …, "deletionPolicy": …}`. */
export const USER_POOL_ANNOTATION = 'platform.booking.io/admin-user-pool';
interface PoolRecord {
  userPoolId: string;
  deletionPolicy: Policy;
}
const annotationPath = `/metadata/annotations/${USER_POOL_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** The pool recorded on the platform; undefined when there is none (or it is not one this part wrote). */
function platformRecord(env: SecurityEnv): PoolRecord | undefined {
  const text = (env.raw.metadata.annotations as Record<string, string> | undefined)?.[USER_POOL_ANNOTATION];
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as Partial<PoolRecord>;
    return typeof r.userPoolId === 'string' && isPolicy(r.deletionPolicy) ? { userPoolId: r.userPoolId, deletionPolicy: r.deletionPolicy } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the record when it differs. Without any annotation yet the whole map is added, pinned to the version read (nobody else's annotation is overwritten). */
async function writeRecord(env: SecurityEnv, record: PoolRecord): Promise<void> {
  const text = JSON.stringify(record);
  const annotations = env.raw.metadata.annotations as Record<string, string> | undefined;
  if (annotations?.[USER_POOL_ANNOTATION] === text) return;
  const ops: JsonPatchOp[] = annotations
    ? [{ op: 'add', path: annotationPath, value: text }]
    : [{ op: 'test', path: '/metadata/resourceVersion', value: env.raw.metadata.resourceVersion }, { op: 'add', path: '/metadata/annotations', value: { [USER_POOL_ANNOTATION]: text } }];
  await env.patchPlatform(ops);
}

/** Removes the record once its policy is carried out (only the value read: a newer one stays). */
async function clearRecord(env: SecurityEnv): Promise<void> {
  const text = (env.raw.metadata.annotations as Record<string, string> | undefined)?.[USER_POOL_ANNOTATION];
  if (text === undefined) return;
  await env.patchPlatform([{ op: 'test', path: annotationPath, value: text }, { op: 'remove', path: annotationPath }]);
}

/** What the live admin Ingress says: the ids it renders, and the policy of a pool the operator created. */
function ingressRecord(p: BookingPlatform, env: SecurityEnv): { present: boolean; policy?: Policy; ids?: ReturnType<typeof cognitoIdsOf> } {
  const live = env.get('networking.k8s.io/v1', 'Ingress', p.metadata.namespace, childName(p, 'admin'));
  // another platform's object of that name is not ours to read
  if (!live || live.metadata.labels?.[PLATFORM_LABEL] !== p.metadata.name) return { present: false };
  const annotations = live.metadata.annotations as Record<string, string> | undefined;
  const policy = annotations?.[USER_POOL_POLICY_ANNOTATION];
  return { present: true, ids: cognitoIdsOf(annotations), ...(isPolicy(policy) ? { policy } : {}) };
}

/** Loaded on the first call that needs AWS, as the clients are (../lazy-aws.ts). */
const cognitoApi = () => import('../../aws/cognito.ts');

/** The created pool's policy and id: the platform's record, else (earlier builds) the admin Ingress's. */
async function createdPool(env: SecurityEnv, ingress: ReturnType<typeof ingressRecord>): Promise<{ policy?: Policy; poolId?: string }> {
  const r = platformRecord(env);
  if (r) return { policy: r.deletionPolicy, poolId: r.userPoolId };
  const arn = ingress.ids?.userPoolArn;
  return { policy: ingress.policy, poolId: arn === undefined ? undefined : (await cognitoApi()).poolIdOfArn(arn) };
}

export function adminAuthPart(deps: SecurityDeps, clients?: (region: string) => AwsClients): SecurityPart {
  const pool = clients ?? lazyClientPool(deps.config.awsEndpoint);
  const log = deps.log.child({ part: 'adminAuth' });
  /** The AWS context for a platform, or why there is none (terminal: a setting of the operator is missing). */
  const awsContext = async (p: BookingPlatform): Promise<AwsContext | ServiceState> => {
    if (!deps.config.awsRegion) return notReady('ProvisionerUnavailable', 'ingress.adminAuth.cognito.create needs the operator\'s AWS access (AWS_REGION; chart value aws.region)', true);
    if (!deps.config.clusterName) return notReady('NoClusterName', 'ingress.adminAuth.cognito.create needs the operator\'s cluster identity (BOOKING_CLUSTER_NAME; chart value clusterName) for the user pool\'s name and owner tags', true);
    const region = p.spec.aws?.region ?? deps.config.awsRegion;
    return { clients: await pool(region), region, log: log.child({ platform: `${p.metadata.namespace}/${p.metadata.name}`, region }), render: { clusterName: deps.config.clusterName } };
  };

  /** Carries out a created pool's policy: Retain leaves it (said in an Event), Delete deletes it. */
  const release = async (p: BookingPlatform, env: SecurityEnv, policy: Policy, poolId: string | undefined, why: string): Promise<FinalizeResult> => {
    const ctx = await awsContext(p);
    if (!('clients' in ctx)) return { done: false, message: ctx.message };
    const { deleteAdminUserPool, userPoolName } = await cognitoApi();
    if (policy === 'Retain') {
      const what = `user pool ${userPoolName(p, ctx)}${poolId ? ` (${poolId})` : ''}`;
      env.warning('UserPoolRetained', `${why}: ${what} is left in place with its admins' accounts (deletionPolicy Retain); delete it in AWS when no longer needed`);
      return { done: true, message: `${what} retained`, left: what };
    }
    try {
      return await deleteAdminUserPool(ctx, p, poolId);
    } catch (err) {
      const state = stateForError(err);
      ctx.log.warn({ reason: state.reason, message: state.message }, 'AWS call failed while deleting the admin user pool');
      return { done: false, message: state.message };
    }
  };

  return {
    name: 'adminAuth',
    wanted: (p) => Boolean(p.spec.ingress?.adminAuth),
    // a pool can only have been created with sdk; it may outlive its section (removal failed), so every sdk platform asks
    needsCleanup: (p) => p.spec.provisioner === 'sdk',

    async observe(p, env): Promise<PartObservation> {
      const auth = p.spec.ingress?.adminAuth;
      const record = ingressRecord(p, env);
      const created = await createdPool(env, record);
      // a pool this operator created and the spec no longer asks for: its policy, before anything else
      if (created.policy && !auth?.cognito?.create) {
        const r = await release(p, env, created.policy, created.poolId, 'ingress.adminAuth.cognito.create was removed');
        // not done: the reconcile fails and retries, and the records (platform, admin Ingress) stay meanwhile
        if (!r.done) throw new Error(`removing the admin user pool: ${r.message}`);
        await clearRecord(env);
      }
      if (!auth) return { state: ready('not asked for') };
      // kept while something fails after sign-in was in place: the running admin Ingress stays
      const keep = record.present ? { adminAuth: record.ids && auth.cognito?.create ? { cognito: record.ids } : {} } : {};
      if (auth.oidc) {
        const name = auth.oidc.clientSecretRef.name;
        const secret = await env.readSecret(p.metadata.namespace!, name);
        if (!secret) return { state: notReady('SecretNotFound', `Secret ${name} not found: create it with keys ${OIDC_KEYS.join(' and ')} (the OIDC client's id and secret)`), facts: keep, requeueAfterMs: ADMIN_AUTH_REQUEUE_MS };
        const missing = OIDC_KEYS.filter((k) => !secret[k]);
        if (missing.length) return { state: notReady('SecretIncomplete', `Secret ${name} lacks ${missing.join(', ')}`), facts: keep, requeueAfterMs: ADMIN_AUTH_REQUEUE_MS };
        return { state: ready(`OIDC sign-in through ${auth.oidc.issuer}`), facts: { adminAuth: {} } };
      }
      const cognito = auth.cognito!;
      if (!cognito.create) return { state: ready(`Cognito sign-in through user pool ${cognito.userPoolArn}`), facts: { adminAuth: {} } };

      const ctx = await awsContext(p);
      if (!('clients' in ctx)) return { state: ctx, facts: keep };
      const { observeAdminUserPool } = await cognitoApi();
      try {
        const policy = cognito.create.deletionPolicy;
        const o = await observeAdminUserPool(ctx, p, { callbackUrl: `https://${p.spec.ingress!.adminHost}/oauth2/idpresponse`, scope: auth.scope, policy }, {
          poolId: created.poolId,
          record: (userPoolId) => writeRecord(env, { userPoolId, deletionPolicy: policy }),
        });
        return {
          state: o.state,
          facts: o.ids ? { adminAuth: { cognito: o.ids } } : keep,
          ...(settling(o.state) ? { requeueAfterMs: ADMIN_AUTH_REQUEUE_MS } : {}),
        };
      } catch (err) {
        const state = stateForError(err);
        ctx.log.warn({ reason: state.reason, terminal: Boolean(state.terminal), message: state.message }, 'AWS call failed');
        return { state, facts: keep, ...(state.terminal ? {} : { requeueAfterMs: ADMIN_AUTH_REQUEUE_MS }) };
      }
    },

    async remove(p, env): Promise<FinalizeResult> {
      const created = await createdPool(env, ingressRecord(p, env));
      const policy = p.spec.ingress?.adminAuth?.cognito?.create?.deletionPolicy ?? created.policy;
      if (!policy) return { done: true, message: 'no admin user pool was created' };
      return release(p, env, policy, created.poolId, 'the platform was deleted');
    },
  };
}
