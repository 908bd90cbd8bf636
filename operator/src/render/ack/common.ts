/** What every ACK resource shares: API groups, tag shape, deletion-policy annotation. */
import { ApiObject, type Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { awsTags, labels, type RenderContext } from '../names.ts';

export const ACK = {
  rds: 'rds.services.k8s.aws/v1alpha1',
  elasticache: 'elasticache.services.k8s.aws/v1alpha1',
  efs: 'efs.services.k8s.aws/v1alpha1',
  s3: 's3.services.k8s.aws/v1alpha1',
} as const;

/** ACK runtime annotation: what ACK does with the AWS resource when the object is deleted. */
export const ACK_DELETION_POLICY = 'services.k8s.aws/deletion-policy';

/** Our deletion policy → ACK's (`Snapshot` deletes after the final snapshot). */
export function ackDeletionPolicy(policy: string): 'retain' | 'delete' {
  return policy === 'Retain' ? 'retain' : 'delete';
}

/** Tags as ACK's `[{key, value}]` list, sorted for deterministic output. */
export function tagList(p: BookingPlatform, ctx: RenderContext): Array<{ key: string; value: string }> {
  return Object.entries(awsTags(p, ctx))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}

export function ackObject(
  chart: Chart,
  p: BookingPlatform,
  o: { apiVersion: string; kind: string; name: string; component: string; spec: Record<string, unknown>; annotations?: Record<string, string> },
): void {
  new ApiObject(chart, `${o.kind}-${o.name}`, {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.name, labels: labels(p, o.component, 'data'), ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: o.spec,
  });
}
