/** The admin frontend. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { workload } from './workload.ts';

export function admin(chart: Chart, p: BookingPlatform, facts: Facts): void {
  const a = p.spec.admin;
  if (!a) return;
  workload(chart, p, facts, {
    component: 'admin',
    role: 'frontend',
    image: a.image,
    port: a.port,
    healthPath: a.healthPath,
    replicas: a.replicas,
    resources: a.resources,
    env: a.env,
    connection: false,
    serviceAnnotations: { 'alb.ingress.kubernetes.io/healthcheck-path': a.healthPath },
  });
}
