/**
 * The public ALB Ingress (AWS Load Balancer Controller): HTTPS with the ACM certificate, HTTP
 * redirected, IP targets, an idle timeout long enough for WebSockets, tags naming the platform.
 *
 * With `ingress.adminAuth` the admin host gets an Ingress of its own: the controller's
 * authentication annotations apply to the rules of the Ingress that carries them, so only the
 * admin host signs in at the ALB while the API and WebSocket host stays token-authenticated by
 * the app. Both Ingresses join the user's IngressGroup (`groupName`, which adminAuth requires: a
 * group of our own choosing would move the API Ingress, and the controller would replace its ALB
 * and hostname), so they share one ALB. The admin Ingress exists only once its sign-in is in place
 * (facts.adminAuth): the admin host is never served without it.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { AdminAuthSpec, BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { awsTags, childName, labels, type RenderContext } from './names.ts';

const ALB = 'alb.ingress.kubernetes.io';
/** On the admin Ingress of a user pool the operator created: its deletionPolicy, readable after the section is gone. */
export const USER_POOL_POLICY_ANNOTATION = 'platform.booking.io/user-pool-deletion-policy';
/** Rule order inside the group: the signed-in admin host first (hosts are disjoint, so this only makes the intent plain). */
export const ADMIN_GROUP_ORDER = '10';
export const API_GROUP_ORDER = '20';
/** The ALB's session cookie on the admin host (host-only; the ALB adds -0, -1 … shards). */
export const ADMIN_SESSION_COOKIE = 'booking-admin-session';

export function ingress(chart: Chart, p: BookingPlatform, ctx: RenderContext, facts: Facts = {}): void {
  const ing = p.spec.ingress;
  if (!ing) return;
  const rule = (host: string, component: string, port: number): k8s.IngressRule => ({
    host,
    http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: childName(p, component), port: { number: port } } } }] },
  });
  const admin = ing.adminHost && p.spec.admin ? { host: ing.adminHost, spec: p.spec.admin } : undefined;
  const make = (id: string, name: string, hosts: k8s.IngressRule[], annotations: Record<string, string>) =>
    new k8s.KubeIngress(chart, id, {
      metadata: { name, labels: labels(p, 'ingress', 'ingress'), annotations },
      spec: { ingressClassName: 'alb', tls: [{ hosts: hosts.map((r) => r.host!) }], rules: hosts },
    });

  if (!ing.adminAuth) {
    // one Ingress for both hosts, in the user's group if any (unchanged: moving it to a group would replace its ALB)
    make('ingress', p.metadata.name, [rule(ing.host, 'backend', p.spec.backend.port), ...(admin ? [rule(admin.host, 'admin', admin.spec.port)] : [])], {
      ...albAnnotations(p, ctx, p.spec.backend.healthPath),
      ...(ing.groupName ? { [`${ALB}/group.name`]: ing.groupName } : {}),
    });
    return;
  }
  // required with adminAuth (schema): the group the API Ingress is already in
  const group = ing.groupName!;
  make('ingress', p.metadata.name, [rule(ing.host, 'backend', p.spec.backend.port)], {
    ...albAnnotations(p, ctx, p.spec.backend.healthPath),
    [`${ALB}/group.name`]: group,
    [`${ALB}/group.order`]: API_GROUP_ORDER,
  });
  const idp = facts.adminAuth && identityProvider(p, ing.adminAuth, facts.adminAuth);
  if (!admin || !idp) return;
  make('admin-ingress', childName(p, 'admin'), [rule(admin.host, 'admin', admin.spec.port)], {
    ...albAnnotations(p, ctx, admin.spec.healthPath),
    [`${ALB}/group.name`]: group,
    [`${ALB}/group.order`]: ADMIN_GROUP_ORDER,
    ...idp,
    [`${ALB}/auth-on-unauthenticated-request`]: 'authenticate',
    [`${ALB}/auth-scope`]: ing.adminAuth.scope,
    [`${ALB}/auth-session-timeout`]: String(ing.adminAuth.sessionTimeoutSeconds),
    [`${ALB}/auth-session-cookie`]: ADMIN_SESSION_COOKIE,
    ...(ing.adminAuth.cognito?.create ? { [USER_POOL_POLICY_ANNOTATION]: ing.adminAuth.cognito.create.deletionPolicy } : {}),
  });
}

/** The annotations every Ingress of the platform carries (load-balancer-wide ones with the same values, as the controller requires in a group). */
function albAnnotations(p: BookingPlatform, ctx: RenderContext, healthPath: string): Record<string, string> {
  const ing = p.spec.ingress!;
  const tags = Object.entries(awsTags(p, ctx))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    [`${ALB}/scheme`]: ing.scheme,
    [`${ALB}/target-type`]: 'ip',
    [`${ALB}/listen-ports`]: '[{"HTTP":80},{"HTTPS":443}]',
    [`${ALB}/ssl-redirect`]: '443',
    [`${ALB}/certificate-arn`]: ing.certificateArn,
    [`${ALB}/ssl-policy`]: ing.sslPolicy,
    [`${ALB}/backend-protocol`]: 'HTTP',
    [`${ALB}/healthcheck-path`]: healthPath,
    [`${ALB}/load-balancer-attributes`]: `idle_timeout.timeout_seconds=${ing.idleTimeoutSeconds},routing.http.drop_invalid_header_fields.enabled=true`,
    [`${ALB}/tags`]: tags,
  };
}

/**
 * `auth-type` and the identity provider's JSON, with the controller's own key spellings
 * (userPoolARN, userPoolClientID; secretName: a Secret with keys clientID and clientSecret).
 * Undefined while the ids of a user pool the operator creates are not known yet.
 */
function identityProvider(p: BookingPlatform, auth: AdminAuthSpec, facts: NonNullable<Facts['adminAuth']>): Record<string, string> | undefined {
  if (auth.oidc) {
    const { issuer, authorizationEndpoint, tokenEndpoint, userInfoEndpoint, clientSecretRef } = auth.oidc;
    return { [`${ALB}/auth-type`]: 'oidc', [`${ALB}/auth-idp-oidc`]: JSON.stringify({ issuer, authorizationEndpoint, tokenEndpoint, userInfoEndpoint, secretName: clientSecretRef.name }) };
  }
  const c = auth.cognito!;
  const pool = c.create ? facts.cognito : { userPoolArn: c.userPoolArn!, userPoolClientId: c.userPoolClientId!, userPoolDomain: c.userPoolDomain! };
  if (!pool) return undefined;
  return {
    [`${ALB}/auth-type`]: 'cognito',
    [`${ALB}/auth-idp-cognito`]: JSON.stringify({ userPoolARN: pool.userPoolArn, userPoolClientID: pool.userPoolClientId, userPoolDomain: pool.userPoolDomain }),
  };
}

/** The ids in a rendered (or live) admin Ingress's Cognito annotation, undefined without one. */
export function cognitoIdsOf(annotations: Record<string, string> | undefined): { userPoolArn: string; userPoolClientId: string; userPoolDomain: string } | undefined {
  const raw = annotations?.[`${ALB}/auth-idp-cognito`];
  if (!raw) return undefined;
  try {
    const j = JSON.parse(raw) as { userPoolARN?: unknown; userPoolClientID?: unknown; userPoolDomain?: unknown };
    return typeof j.userPoolARN === 'string' && typeof j.userPoolClientID === 'string' && typeof j.userPoolDomain === 'string'
      ? { userPoolArn: j.userPoolARN, userPoolClientId: j.userPoolClientID, userPoolDomain: j.userPoolDomain }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Public URLs for status.endpoints. */
export function endpoints(p: BookingPlatform): { api?: string; admin?: string; websocket?: string } {
  const ing = p.spec.ingress;
  if (!ing) return {};
  return {
    api: `https://${ing.host}`,
    websocket: `wss://${ing.host}`,
    ...(ing.adminHost ? { admin: `https://${ing.adminHost}` } : {}),
  };
}
