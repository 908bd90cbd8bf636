/** ACK resources for `provisioner: ack`; the other provisioners render none. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { efs } from './efs.ts';
import { elasticache } from './elasticache.ts';
import { rds } from './rds.ts';
import { s3 } from './s3.ts';

export function ackResources(chart: Chart, p: BookingPlatform): void {
  if (p.spec.provisioner !== 'ack') return;
  rds(chart, p);
  elasticache(chart, p);
  efs(chart, p);
  s3(chart, p);
}
