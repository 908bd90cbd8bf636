/**
 * The public ALB Ingress (AWS Load Balancer Controller): HTTPS with the ACM certificate, HTTP
 * redirected, IP targets, an idle timeout long enough for WebSockets, tags naming the platform.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform } from '../api/types.generated.ts';
import { awsTags, childName, labels, type RenderContext } from './names.ts';

export function ingress(chart: Chart, p: BookingPlatform, ctx: RenderContext): void {
  const ing = p.spec.ingress;
  if (!ing) return;
  const rule = (host: string, component: string, port: number): k8s.IngressRule => ({
    host,
    http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: childName(p, component), port: { number: port } } } }] },
  });
  const tags = Object.entries(awsTags(p, ctx))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  new k8s.KubeIngress(chart, 'ingress', {
    metadata: {
      name: p.metadata.name,
      labels: labels(p, 'ingress', 'ingress'),
      annotations: {
        'alb.ingress.kubernetes.io/scheme': ing.scheme,
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
        'alb.ingress.kubernetes.io/certificate-arn': ing.certificateArn,
        'alb.ingress.kubernetes.io/ssl-policy': ing.sslPolicy,
        'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
        'alb.ingress.kubernetes.io/healthcheck-path': p.spec.backend.healthPath,
        'alb.ingress.kubernetes.io/load-balancer-attributes': `idle_timeout.timeout_seconds=${ing.idleTimeoutSeconds},routing.http.drop_invalid_header_fields.enabled=true`,
        'alb.ingress.kubernetes.io/tags': tags,
        ...(ing.groupName ? { 'alb.ingress.kubernetes.io/group.name': ing.groupName } : {}),
      },
    },
    spec: {
      ingressClassName: 'alb',
      tls: [{ hosts: [ing.host, ...(ing.adminHost ? [ing.adminHost] : [])] }],
      rules: [
        rule(ing.host, 'backend', p.spec.backend.port),
        ...(ing.adminHost && p.spec.admin ? [rule(ing.adminHost, 'admin', p.spec.admin.port)] : []),
      ],
    },
  });
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
