import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withAdmin, withIngress, withProvisioner } from '../../test/fixtures/platform.ts';
import { endpoints } from './ingress.ts';
import { renderPlatform } from './index.ts';

describe('ALB ingress', () => {
  const p = platform('acme', withAdmin(), withIngress({ adminHost: 'admin.acme.example', idleTimeoutSeconds: 900, groupName: 'shared' }));
  const ing = find(renderPlatform(p), 'Ingress', 'acme');

  it('is an HTTPS ALB with the certificate and a WebSocket-friendly idle timeout', () => {
    expect(ing.spec.ingressClassName).toBe('alb');
    const a = ing.metadata.annotations;
    expect(a['alb.ingress.kubernetes.io/certificate-arn']).toBe('arn:aws:acm:us-east-1:123456789012:certificate/abc');
    expect(a['alb.ingress.kubernetes.io/listen-ports']).toBe('[{"HTTP":80},{"HTTPS":443}]');
    expect(a['alb.ingress.kubernetes.io/ssl-redirect']).toBe('443');
    expect(a['alb.ingress.kubernetes.io/load-balancer-attributes']).toContain('idle_timeout.timeout_seconds=900');
    expect(a['alb.ingress.kubernetes.io/healthcheck-path']).toBe('/health');
    expect(a['alb.ingress.kubernetes.io/target-type']).toBe('ip');
    expect(a['alb.ingress.kubernetes.io/group.name']).toBe('shared');
    expect(a['alb.ingress.kubernetes.io/tags']).toContain('booking.io/platform=acme/acme');
  });

  it('routes the API host to the backend and the admin host to the admin frontend', () => {
    expect(ing.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service])).toEqual([
      ['api.acme.example', { name: 'acme-backend', port: { number: 8000 } }],
      ['admin.acme.example', { name: 'acme-admin', port: { number: 8080 } }],
    ]);
    expect(endpoints(p)).toEqual({ api: 'https://api.acme.example', websocket: 'wss://api.acme.example', admin: 'https://admin.acme.example' });
  });

  it('is absent without spec.ingress', () => {
    expect(ofKind(renderPlatform(platform('acme', set('ingress', undefined))), 'Ingress')).toEqual([]);
  });
});

describe('admin sign-in at the ALB (ingress.adminAuth)', () => {
  const ALB = 'alb.ingress.kubernetes.io';
  const oidc = { issuer: 'https://idp.example', authorizationEndpoint: 'https://idp.example/auth', tokenEndpoint: 'https://idp.example/token', userInfoEndpoint: 'https://idp.example/userinfo', clientSecretRef: { name: 'admin-oidc' } };
  const given = { userPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123', userPoolClientId: 'client123', userPoolDomain: 'acme-admins' };
  const withAuth = (adminAuth: object, extra: object = {}) => platform('acme', withAdmin({ healthPath: '/ready' }), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme-shop', adminAuth, ...extra }));
  const ingresses = (p: ReturnType<typeof platform>, facts = {}) => ofKind(renderPlatform(p, facts), 'Ingress');
  const authKeys = (o: any) => Object.keys(o.metadata.annotations).filter((k) => k.startsWith(`${ALB}/auth-`));

  it('puts the authentication annotations on the admin host’s own Ingress only, both in one ALB group', () => {
    const [api, admin] = ingresses(withAuth({ oidc }), { adminAuth: {} });
    expect(api.metadata.name).toBe('acme');
    expect(admin.metadata.name).toBe('acme-admin');
    expect(api.spec.rules.map((r: any) => r.host)).toEqual(['api.acme.example']);
    expect(admin.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service])).toEqual([['admin.acme.example', { name: 'acme-admin', port: { number: 8080 } }]]);
    expect(authKeys(api)).toEqual([]);
    const a = admin.metadata.annotations;
    expect(a[`${ALB}/auth-type`]).toBe('oidc');
    expect(JSON.parse(a[`${ALB}/auth-idp-oidc`])).toEqual({ issuer: oidc.issuer, authorizationEndpoint: oidc.authorizationEndpoint, tokenEndpoint: oidc.tokenEndpoint, userInfoEndpoint: oidc.userInfoEndpoint, secretName: 'admin-oidc' });
    expect(a[`${ALB}/auth-on-unauthenticated-request`]).toBe('authenticate');
    expect(a[`${ALB}/auth-scope`]).toBe('openid');
    expect(a[`${ALB}/auth-session-timeout`]).toBe('604800');
    expect(a[`${ALB}/auth-session-cookie`]).toBe('booking-admin-session');
    // one ALB: the same group, explicit orders, the same load-balancer-wide settings
    expect(api.metadata.annotations[`${ALB}/group.name`]).toBe('acme-shop');
    expect(a[`${ALB}/group.name`]).toBe('acme-shop');
    expect([a[`${ALB}/group.order`], api.metadata.annotations[`${ALB}/group.order`]]).toEqual(['10', '20']);
    for (const k of ['scheme', 'listen-ports', 'ssl-redirect', 'certificate-arn', 'ssl-policy', 'load-balancer-attributes', 'tags']) expect(a[`${ALB}/${k}`], k).toBe(api.metadata.annotations[`${ALB}/${k}`]);
    // each target group is health-checked on its own app's path
    expect([api.metadata.annotations[`${ALB}/healthcheck-path`], a[`${ALB}/healthcheck-path`]]).toEqual(['/health', '/ready']);
    expect(admin.spec.tls).toEqual([{ hosts: ['admin.acme.example'] }]);
  });

  it('turning adminAuth on keeps the API Ingress in the group it has (the same ALB and hostname)', () => {
    const before = ingresses(platform('acme', withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'shared' })));
    const after = ingresses(withAuth({ oidc }, { groupName: 'shared' }), { adminAuth: {} });
    expect(before.map((o: any) => o.metadata.annotations[`${ALB}/group.name`])).toEqual(['shared']);
    expect(after.map((o: any) => o.metadata.annotations[`${ALB}/group.name`])).toEqual(['shared', 'shared']);
    expect(after[0].metadata.name).toBe(before[0].metadata.name);
  });

  it('renders a given Cognito pool with the controller’s key spellings', () => {
    const [, admin] = ingresses(withAuth({ cognito: given, scope: 'openid email', sessionTimeoutSeconds: 3600 }), { adminAuth: {} });
    const a = admin.metadata.annotations;
    expect(a[`${ALB}/auth-type`]).toBe('cognito');
    expect(JSON.parse(a[`${ALB}/auth-idp-cognito`])).toEqual({ userPoolARN: given.userPoolArn, userPoolClientID: 'client123', userPoolDomain: 'acme-admins' });
    expect(a[`${ALB}/auth-scope`]).toBe('openid email');
    expect(a[`${ALB}/auth-session-timeout`]).toBe('3600');
    expect(a['platform.booking.io/user-pool-deletion-policy']).toBeUndefined();
  });

  it('renders a created pool from the observed ids, and records its deletionPolicy', () => {
    const p = platform('acme', withProvisioner('sdk'), withAdmin(), withIngress({ adminHost: 'admin.acme.example', groupName: 'acme', adminAuth: { cognito: { create: {} } } }));
    const [, admin] = ingresses(p, { adminAuth: { cognito: given } });
    expect(JSON.parse(admin.metadata.annotations[`${ALB}/auth-idp-cognito`])).toEqual({ userPoolARN: given.userPoolArn, userPoolClientID: 'client123', userPoolDomain: 'acme-admins' });
    expect(admin.metadata.annotations['platform.booking.io/user-pool-deletion-policy']).toBe('Retain');
    // ids not known yet: no admin Ingress, so the admin host is never served without sign-in
    expect(ingresses(p, { adminAuth: {} }).map((o: any) => o.metadata.name)).toEqual(['acme']);
  });

  it('serves no admin host until sign-in is in place (no facts: only the API Ingress)', () => {
    const objs = ingresses(withAuth({ oidc }));
    expect(objs.map((o: any) => o.metadata.name)).toEqual(['acme']);
    expect(objs[0].spec.rules.map((r: any) => r.host)).toEqual(['api.acme.example']);
  });

  it('keeps the one-Ingress form (no group added, which would replace the ALB) without adminAuth', () => {
    const objs = ingresses(platform('acme', withAdmin(), withIngress({ adminHost: 'admin.acme.example' })), { adminAuth: {} });
    expect(objs).toHaveLength(1);
    expect(objs[0].metadata.annotations[`${ALB}/group.name`]).toBeUndefined();
    expect(authKeys(objs[0])).toEqual([]);
  });
});
