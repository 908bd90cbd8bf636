/**
 * Batch work in the backend image: the database migrations Job and the session-cleanup CronJob.
 *
 * A Job's pod template is immutable, so the migrations Job's name carries a hash of what it runs:
 * a new backend image or command makes a new Job (the old one is pruned), the same one never reruns.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { childName, labels, shortHash } from './names.ts';
import { container, podAnnotations, podSpec } from './pod.ts';

export function migrationJobName(p: BookingPlatform): string | undefined {
  const m = p.spec.migrations;
  return m ? childName(p, `migrate-${shortHash([p.spec.backend.image, m.command], 8)}`) : undefined;
}

export function migrations(chart: Chart, p: BookingPlatform, facts: Facts): void {
  const m = p.spec.migrations;
  const name = migrationJobName(p);
  if (!m || !name) return;
  const meta = { name, labels: labels(p, 'migrations', 'migrations') };
  const annotations = podAnnotations(p, facts, true);
  new k8s.KubeJob(chart, 'migrations', {
    metadata: meta,
    spec: {
      backoffLimit: m.backoffLimit,
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels: meta.labels, ...(annotations ? { annotations } : {}) },
        spec: podSpec({
          serviceAccountName: childName(p, 'backend'),
          restartPolicy: 'Never',
          containers: [container(p, { name: 'migrate', image: p.spec.backend.image, command: m.command, resources: p.spec.backend.resources, connection: true })],
        }),
      },
    },
  });
}

export function sessionCleanup(chart: Chart, p: BookingPlatform, facts: Facts): void {
  const c = p.spec.sessionCleanup;
  if (!c?.enabled) return;
  const meta = { name: childName(p, 'session-cleanup'), labels: labels(p, 'session-cleanup', 'cronjob') };
  const annotations = podAnnotations(p, facts, true);
  new k8s.KubeCronJob(chart, 'session-cleanup', {
    metadata: meta,
    spec: {
      schedule: c.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: meta.labels },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: 3600,
          template: {
            metadata: { labels: meta.labels, ...(annotations ? { annotations } : {}) },
            spec: podSpec({
              serviceAccountName: childName(p, 'backend'),
              restartPolicy: 'Never',
              containers: [container(p, { name: 'cleanup', image: p.spec.backend.image, command: c.command, resources: p.spec.backend.resources, connection: true })],
            }),
          },
        },
      },
    },
  });
}
