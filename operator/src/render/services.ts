/** Further app services (e.g. a Python chatbot). */
import type { Chart } from 'cdk8s';
import type { AppServiceSpec, BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { workload } from './workload.ts';

export function appServices(chart: Chart, p: BookingPlatform, facts: Facts): void {
  // validation requires image and port of an enabled service (a disabled one may omit them)
  for (const s of (p.spec.services ?? []).filter((s): s is AppServiceSpec & { image: string; port: number } => s.enabled)) {
    workload(chart, p, facts, {
      component: s.name,
      role: 'service',
      image: s.image,
      port: s.port,
      healthPath: s.healthPath,
      replicas: s.replicas,
      autoscaling: s.autoscaling,
      resources: s.resources,
      env: s.env,
      iamRoleArn: s.iamRoleArn,
      connection: true,
    });
  }
}
