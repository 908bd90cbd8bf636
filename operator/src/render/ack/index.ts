/** ACK resources for `provisioner: ack`; the other provisioners render none. */
import type { Chart } from 'cdk8s';
import type { Facts } from '../facts.ts';
import type { BookingPlatform } from '../../api/types.generated.ts';
import type { RenderContext } from '../names.ts';
import { efs } from './efs.ts';
import { elasticache } from './elasticache.ts';
import { rds } from './rds.ts';
import { s3 } from './s3.ts';

export function ackResources(chart: Chart, p: BookingPlatform, ctx: RenderContext, facts: Facts = {}): void {
  if (p.spec.provisioner !== 'ack') return;
  rds(chart, p, ctx, facts.masterSecretName);
  elasticache(chart, p, ctx);
  efs(chart, p, ctx);
  s3(chart, p, ctx);
}
