/**
 * Batch work in the backend image: the database migrations Job and the session-cleanup CronJob.
 *
 * A Job's pod template is immutable, so the migrations Job is never changed in place: its name
 * carries a hash of its whole rendered spec (image, command, resources, labels, the connection
 * hash, backoffLimit, …). Anything new makes a new Job (the old one is pruned once the pass has
 * applied everything); the same spec keeps the same Job, which never reruns.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { childName, labels, shortHash } from './names.ts';
import { container, podAnnotations, podSpec } from './pod.ts';

export function migrations(chart: Chart, p: BookingPlatform, facts: Facts): void {
  const spec = migrationJobSpec(p, facts);
  if (!spec) return;
  new k8s.KubeJob(chart, 'migrations', { metadata: { name: jobName(p, spec), labels: jobLabels(p) }, spec });
}

const jobLabels = (p: BookingPlatform) => labels(p, 'migrations', 'migrations');

/** `<platform>-migrate-<hash>`; hashes the spec as it is sent (cdk8s's JSON form), so every rendered field is in the name. */
const jobName = (p: BookingPlatform, spec: k8s.JobSpec) => childName(p, `migrate-${shortHash(k8s.KubeJob.manifest({ spec }).spec, 8)}`);

function migrationJobSpec(p: BookingPlatform, facts: Facts): k8s.JobSpec | undefined {
  const m = p.spec.migrations;
  if (!m) return undefined;
  const annotations = podAnnotations(p, facts, true);
  return {
    backoffLimit: m.backoffLimit,
    activeDeadlineSeconds: 1800,
    template: {
      metadata: { labels: jobLabels(p), ...(annotations ? { annotations } : {}) },
      spec: podSpec({
        serviceAccountName: childName(p, 'backend'),
        restartPolicy: 'Never',
        containers: [container(p, { name: 'migrate', image: p.spec.backend.image, command: m.command, resources: p.spec.backend.resources, connection: true })],
      }),
    },
  };
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
