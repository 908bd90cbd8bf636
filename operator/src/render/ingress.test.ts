import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withAdmin, withIngress } from '../../test/fixtures/platform.ts';
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
