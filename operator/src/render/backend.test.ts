import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withDatabase, withMcp, withWhatsapp } from '../../test/fixtures/platform.ts';
import { renderPlatform } from './index.ts';

describe('backend', () => {
  const objects = renderPlatform(platform('acme', withDatabase(), set('backend.iamRoleArn', 'arn:aws:iam::123456789012:role/acme-backend')), { connectionHash: 'abc123' });
  const deployment = find(objects, 'Deployment', 'acme-backend');
  const pod = deployment.spec.template.spec;
  const c = pod.containers[0];

  it('selects its pods by stable labels only, matching the template', () => {
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/name': 'backend' });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(find(objects, 'Service', 'acme-backend').spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('leaves replicas to the HPA (2-10 at 70% CPU) and rolls without losing capacity', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'acme-backend');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'acme-backend' }, minReplicas: 2, maxReplicas: 10 });
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(70);
    expect(find(objects, 'PodDisruptionBudget', 'acme-backend').spec).toEqual({ maxUnavailable: 1, selector: deployment.spec.selector });
  });

  it('probes /health on the http port', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe].httpGet).toEqual({ path: '/health', port: 'http' });
  });

  it('gets the connection Secret and its hash, so new credentials roll the pods', () => {
    expect(c.envFrom).toEqual([{ secretRef: { name: 'acme-connection' } }]);
    expect(deployment.spec.template.metadata.annotations).toEqual({ 'platform.booking.io/connection-hash': 'abc123' });
  });

  it('runs under its own ServiceAccount with the IRSA role', () => {
    expect(pod.serviceAccountName).toBe('acme-backend');
    const sa = find(objects, 'ServiceAccount', 'acme-backend');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/acme-backend' });
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('knows where the other components are', () => {
    const p = platform('acme', withWhatsapp(), withMcp({ name: 'booking-log', image: 'i:1', port: 7003 }));
    const env = find(renderPlatform(p), 'Deployment', 'acme-backend').spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'WHATSAPP_URL', value: 'http://acme-whatsapp:60007' },
      { name: 'MCP_BOOKING_LOG_URL', value: 'http://acme-mcp-booking-log:7003' },
    ]);
  });

  it('has no PDB when autoscaling allows a single replica', () => {
    const single = renderPlatform(platform('acme', set('backend.autoscaling', { minReplicas: 1 })));
    expect(ofKind(single, 'PodDisruptionBudget')).toEqual([]);
  });
});
