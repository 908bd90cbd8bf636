/**
 * Migrations before the rollout (pure): the seed's plan is "run the migrations, then deploy", so
 * workloads that use the connection roll a new template out only once the current migrations Job
 * (render/jobs.ts: one Job per spec) has succeeded. A failed Job holds them for good — until the
 * spec changes and a new Job runs — and is reported with its pod's reason; the versions already
 * running are left alone.
 */
import type { Obj } from '../kube/client.ts';
import { withoutValues } from './apply-errors.ts';

/** How held workloads' reasons start (status reads it to say WaitingForMigrations). */
export const WAITING_FOR_MIGRATIONS = 'waiting for the migrations Job';

/** The current migrations Job, as observed. */
export interface MigrationGate {
  job: string;
  succeeded: boolean;
  /** Set when the Job failed: the Job, its condition and its pod's reason (one line, no values). */
  failure?: string;
  /** Its state in a few words, for the workloads it holds. */
  message: string;
  /** Whether applying this object would change the live one (only changes wait). */
  rollsOut: (o: { kind: string; metadata: { name: string } }) => boolean;
}

export type JobState = { succeeded: true; failed?: false; message: string } | { succeeded: false; failed: boolean; message: string };

/** A Job's state from its conditions (Complete / Failed are final; FailureTarget is still running). */
export function jobState(job: Obj | undefined): JobState {
  if (!job) return { succeeded: false, failed: false, message: 'not created yet' };
  const st = job.status ?? {};
  const final = (type: string) => (st.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
  const complete = final('Complete');
  if (complete) return { succeeded: true, message: 'succeeded' };
  const failed = final('Failed');
  if (failed) return { succeeded: false, failed: true, message: withoutValues(`${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''}`) };
  if (!st.startTime) return { succeeded: false, failed: false, message: 'not started yet' };
  return { succeeded: false, failed: false, message: `running (${st.active ?? 0} active, ${st.failed ?? 0} failed pods)` };
}

/**
 * Why a Job's pod failed: the first container that exited non-zero (reason and exit code) or
 * waits (ImagePullBackOff, CreateContainerConfigError, …), else the pod's own reason. Never the
 * termination message: that is the program's output and may carry anything.
 */
export function podFailure(pod: Obj): string {
  const st = pod.status ?? {};
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0) return `pod ${pod.metadata.name}: container ${c.name} ${t.reason ?? 'terminated'} (exit code ${t.exitCode})`;
    if (c.state?.waiting?.reason) return `pod ${pod.metadata.name}: container ${c.name} ${c.state.waiting.reason}`;
  }
  return `pod ${pod.metadata.name}: ${st.reason ?? st.phase ?? 'no status'}`;
}

/** The pod to quote: the newest failed one, else the newest. */
export function podToQuote(pods: Obj[]): Obj | undefined {
  const newest = [...pods].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')));
  return newest.find((p) => p.status?.phase === 'Failed') ?? newest[0];
}
