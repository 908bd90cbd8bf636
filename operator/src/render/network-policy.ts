/**
 * NetworkPolicies: the platform's pods accept traffic only from each other, except the public
 * components (backend, admin) which the ALB reaches directly (IP targets). Egress stays open:
 * the apps call AWS APIs, the data services and WhatsApp's servers.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform } from '../api/types.generated.ts';
import { childName, labels, selectorLabels } from './names.ts';

export function networkPolicies(chart: Chart, p: BookingPlatform): void {
  if (!p.spec.networkPolicy.enabled) return;
  const platformPods = { matchLabels: { 'app.kubernetes.io/instance': p.metadata.name, 'app.kubernetes.io/part-of': 'booking-platform' } };
  new k8s.KubeNetworkPolicy(chart, 'np-internal', {
    metadata: { name: childName(p, 'internal'), labels: labels(p, 'network-policy', 'network-policy') },
    spec: { podSelector: platformPods, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: platformPods }] }] },
  });
  const publicPorts: Array<[string, number]> = [];
  if (p.spec.ingress) {
    publicPorts.push(['backend', p.spec.backend.port]);
    if (p.spec.admin && p.spec.ingress.adminHost) publicPorts.push(['admin', p.spec.admin.port]);
  }
  for (const [component, port] of publicPorts) {
    new k8s.KubeNetworkPolicy(chart, `np-public-${component}`, {
      metadata: { name: childName(p, `${component}-public`), labels: labels(p, 'network-policy', 'network-policy') },
      spec: {
        podSelector: { matchLabels: selectorLabels(p, component) },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }] }],
      },
    });
  }
}
