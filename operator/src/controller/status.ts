/**
 * The platform's status as a pure function of what was observed. Conditions follow Kubernetes
 * conventions and kstatus (Ready, Reconciling, Stalled) so kubectl wait, Argo CD and Flux read
 * them without help; each names the blocking part and quotes its own reason. `Ready` is true
 * only when every Deployment is available and every data service is usable.
 *
 * Usable is not converged. A data service AWS is backing up, modifying or maintaining (or one with
 * ACK.Recoverable) is usable: its `<Service>Ready` stays True with reason AvailableNotConverged
 * and AWS's status quoted, and `Ready` stays True (reason AvailableNotConverged, the detail in the
 * message). `Reconciling` stays False then: kstatus reads Reconciling=True as InProgress, and
 * Flux/Argo CD waits and `kubectl wait` users would be held by every nightly backup or day-long
 * storage optimization while the platform works. The operator still looks again until converged.
 */
import type { FieldError } from '../api/platform.ts';
import type { BookingPlatform, BookingPlatformStatus, ComponentStatus, Condition } from '../api/types.generated.ts';
import type { DataObservation, ServiceName, ServiceState } from '../data/types.ts';
import type { SecurityPartName } from '../security/types.ts';
import { endpoints } from '../render/ingress.ts';

export interface WorkloadObservation {
  /** Deployment (or StatefulSet) name. */
  name: string;
  /** Default Deployment. */
  kind?: 'Deployment' | 'StatefulSet';
  /** The live object (undefined: not created yet). */
  live?: { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: any };
  /** Why it was not applied yet (e.g. waiting for the database). */
  heldBack?: string;
  /** The WorkloadsReady reason while held (default WaitingForDataServices). */
  heldReason?: string;
  /** Why it waits for the object it replaces to be gone (a Deployment that became a StatefulSet). */
  replacing?: string;
}

export interface Observed {
  generation: number;
  invalid?: FieldError[];
  paused?: boolean;
  deleting?: string;
  data?: DataObservation;
  wanted: ServiceName[];
  workloads: WorkloadObservation[];
  /** A failed apply/prune this pass (transient). */
  error?: string;
  /** The reason to show for `error` (default ApplyFailed). */
  errorReason?: string;
  /** `error` will not heal by retrying (Stalled). */
  stalled?: boolean;
  /** Deletion cannot proceed without the owner (Stalled while Deleting). */
  deletingStalled?: boolean;
  /** Sections removed from the spec and what their policies left behind. */
  removals?: Removals;
  /** Wanted security parts (IAM roles, application secrets, admin sign-in), each with its state. */
  security?: Array<{ name: SecurityPartName; state: ServiceState }>;
}

export interface Removals {
  /** Removals under way (`service: message`). */
  pending: string[];
  /** Removals waiting for the owner's confirmation. */
  blocked: string[];
  /** What removal and deletion left in AWS, by policy. */
  released: Array<{ service: string; resource: string; policy: string; secret?: string }>;
}

const SERVICE_CONDITION: Record<ServiceName | SecurityPartName, string> = {
  database: 'DatabaseReady', cache: 'CacheReady', fileSystem: 'FileSystemReady', uploads: 'UploadsReady',
  iam: 'IdentityReady', secrets: 'SecretsReady', adminAuth: 'AdminAuthReady',
};
const COMPONENT_KIND: Record<ServiceName | SecurityPartName, string> = {
  database: 'Database', cache: 'ReplicationGroup', fileSystem: 'FileSystem', uploads: 'Bucket',
  iam: 'IAMRoles', secrets: 'Secret', adminAuth: 'AdminSignIn',
};

type Cond = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;
const cond = (type: string, ok: boolean, reason: string, message: string): Cond => ({ type, status: ok ? 'True' : 'False', reason, message });

/** Whether a workload has fully rolled out and is available, by its kind. */
export function workloadState(w: WorkloadObservation): WorkloadState {
  return w.kind === 'StatefulSet' ? statefulSetState(w) : deploymentState(w);
}

type WorkloadState = { ready: boolean; message: string };

/** What every workload kind checks first: held back, being replaced, not there, or its rollout not observed yet. */
function notStarted(w: WorkloadObservation): WorkloadState | undefined {
  const not = (why: string): WorkloadState => ({ ready: false, message: `${w.name}: ${why}` });
  if (w.heldBack) return not(w.heldBack);
  if (w.replacing) return not(w.replacing);
  if (!w.live) return not('not created yet');
  if ((w.live.status?.observedGeneration ?? 0) < (w.live.metadata?.generation ?? 0)) return not('rollout not observed yet');
  return undefined;
}

/** Whether a Deployment has fully rolled out and is available (kubectl rollout status's rules). */
export function deploymentState(w: WorkloadObservation): WorkloadState {
  const early = notStarted(w);
  if (early) return early;
  const d = w.live!;
  const st = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { ready: false, message: `${w.name}: ${progressing.message}` };
  if ((st.updatedReplicas ?? 0) < want) return { ready: false, message: `${w.name}: ${st.updatedReplicas ?? 0} of ${want} replicas updated` };
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0)) return { ready: false, message: `${w.name}: ${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replicas pending termination` };
  if ((st.availableReplicas ?? 0) < want) {
    const available = (st.conditions ?? []).find((c: any) => c.type === 'Available');
    return { ready: false, message: `${w.name}: ${st.unavailableReplicas ?? want - (st.availableReplicas ?? 0)} of ${want} replicas unavailable${available?.message ? ` (${available.message})` : ''}` };
  }
  return { ready: true, message: `${w.name}: ${st.availableReplicas ?? 0} of ${want} available` };
}

/**
 * Whether a StatefulSet has fully rolled out and is ready (kubectl rollout status's rules for
 * RollingUpdate: every pod ready and at the update revision). A pod lost with its node counts as
 * not ready; the message cannot say more, since the operator does not watch pods.
 */
export function statefulSetState(w: WorkloadObservation): WorkloadState {
  const early = notStarted(w);
  if (early) return early;
  const s = w.live!;
  const st = s.status ?? {};
  const want = s.spec?.replicas ?? 1;
  if ((st.updatedReplicas ?? 0) < want || (st.updateRevision && st.currentRevision !== st.updateRevision)) return { ready: false, message: `${w.name}: ${st.updatedReplicas ?? 0} of ${want} replicas updated` };
  if ((st.readyReplicas ?? 0) < want) return { ready: false, message: `${w.name}: ${st.readyReplicas ?? 0} of ${want} replicas ready` };
  return { ready: true, message: `${w.name}: ${st.readyReplicas ?? 0} of ${want} ready` };
}

export function computeStatus(p: BookingPlatform, o: Observed, previous: BookingPlatformStatus | undefined, now: string): BookingPlatformStatus {
  const conds: Cond[] = [];
  const components: ComponentStatus[] = [];
  let phase: NonNullable<BookingPlatformStatus['phase']>;

  if (o.invalid?.length) {
    const msg = o.invalid.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    conds.push(cond('Ready', false, 'InvalidSpec', msg), cond('Reconciling', false, 'InvalidSpec', 'waiting for a valid spec'), cond('Stalled', true, 'InvalidSpec', msg));
    phase = 'Failed';
  } else {
    const services: Array<{ name: ServiceName | SecurityPartName; state: ServiceState }> = [
      ...o.wanted.map((s) => ({ name: s, state: o.data?.[s] ?? ({ ready: false, reason: 'Pending', message: 'not observed yet' } as ServiceState) })),
      ...(o.security ?? []),
    ];
    for (const { name, state } of services) {
      conds.push(cond(SERVICE_CONDITION[name], state.ready, state.reason, state.message));
      components.push({ name, kind: COMPONENT_KIND[name], ready: state.ready, ...(state.ready && state.converged !== false ? {} : { message: state.message }) });
    }
    for (const s of ['database', 'cache', 'fileSystem'] as const) {
      if (!o.wanted.includes(s)) conds.push(cond(SERVICE_CONDITION[s], true, 'NotRequired', `the platform has no ${s}`));
    }
    const workloadStates = o.workloads.map((w) => ({ w, s: workloadState(w) }));
    for (const { w, s } of workloadStates) components.push({ name: w.name, kind: w.kind ?? 'Deployment', ready: s.ready, ...(s.ready ? {} : { message: s.message }) });
    const blockedWorkload = workloadStates.find(({ s }) => !s.ready);
    const heldBack = workloadStates.find(({ w }) => w.heldBack);
    conds.push(
      blockedWorkload
        ? cond('WorkloadsReady', false, heldBack ? (heldBack.w.heldReason ?? 'WaitingForDataServices') : 'RollingOut', blockedWorkload.s.message)
        : cond('WorkloadsReady', true, 'Available', `${o.workloads.length} Deployments available`),
    );
    // a usable service whose correction AWS rejected still serves: not Stalled
    const terminal = services.find(({ state }) => state.terminal && !state.ready);
    const notConverged = services.filter(({ state }) => state.ready && state.converged === false);
    const blockedService = services.find(({ state }) => !state.ready);
    const removing = o.removals?.pending.length ? o.removals.pending.join('; ') : undefined;
    const confirm = o.removals?.blocked.length ? o.removals.blocked.join('; ') : undefined;
    const ready = !blockedService && !blockedWorkload && !o.error && !o.paused && !o.deleting && !removing && !confirm;
    const stalledMsg = terminal ? `${terminal.name}: ${terminal.state.message}` : undefined;

    if (o.deleting) {
      conds.unshift(cond('Ready', false, 'Deleting', o.deleting), cond('Reconciling', !o.deletingStalled, 'Deleting', o.deleting), cond('Stalled', Boolean(o.deletingStalled), o.deletingStalled ? 'DeletionBlocked' : 'Deleting', o.deleting));
      phase = 'Deleting';
    } else if (o.paused) {
      conds.unshift(cond('Ready', false, 'Paused', 'spec.paused is true: the operator makes no changes'), cond('Reconciling', false, 'Paused', 'paused'), cond('Stalled', false, 'Paused', 'paused'));
      phase = 'Paused';
    } else if (ready && notConverged.length) {
      const detail = notConverged.map(({ name, state }) => `${name}: ${state.message}`).join('; ');
      const names = notConverged.map(({ name }) => name).join(', ');
      conds.unshift(
        cond('Ready', true, 'AvailableNotConverged', `all data services usable and all Deployments available; not converged: ${detail}`),
        cond('Reconciling', false, 'AvailableNotConverged', `nothing blocks the platform; AWS is still at work on: ${names}`),
        cond('Stalled', false, 'Available', 'up to date'),
      );
      phase = 'Ready';
    } else if (ready) {
      conds.unshift(cond('Ready', true, 'Available', 'all data services usable and all Deployments available'), cond('Reconciling', false, 'Available', 'up to date'), cond('Stalled', false, 'Available', 'up to date'));
      phase = 'Ready';
    } else if (confirm && !o.error) {
      conds.unshift(cond('Ready', false, 'RemovalNeedsConfirmation', confirm), cond('Reconciling', false, 'RemovalNeedsConfirmation', 'waiting for the owner'), cond('Stalled', true, 'RemovalNeedsConfirmation', confirm));
      phase = 'Degraded';
    } else if (o.stalled && o.error) {
      const reason = o.errorReason ?? 'Stalled';
      conds.unshift(cond('Ready', false, reason, o.error), cond('Reconciling', false, reason, 'waiting for the owner'), cond('Stalled', true, reason, o.error));
      phase = 'Failed';
    } else {
      const why = o.error
        ? { reason: o.errorReason ?? 'ApplyFailed', message: o.error }
        : removing && !blockedService && !blockedWorkload
          ? { reason: 'RemovingDataServices', message: removing }
        : blockedService
          ? { reason: `${SERVICE_CONDITION[blockedService.name].replace('Ready', '')}NotReady`, message: `${blockedService.name}: ${blockedService.state.message}` }
          : { reason: 'WorkloadsNotReady', message: blockedWorkload!.s.message };
      conds.unshift(cond('Ready', false, why.reason, why.message), cond('Reconciling', !terminal, terminal ? 'Stalled' : why.reason, terminal ? 'stalled' : why.message), cond('Stalled', Boolean(terminal), terminal ? 'Terminal' : 'Progressing', stalledMsg ?? 'making progress'));
      // a platform that was up and is taking a change (a rollout, a section being removed) is
      // Updating; Degraded is kept for a failure the operator is retrying
      const wasUp = previous?.phase === 'Ready' || previous?.phase === 'Updating' || previous?.phase === 'Degraded';
      phase = terminal ? 'Failed' : blockedService ? 'Provisioning' : !wasUp ? 'Pending' : o.error ? 'Degraded' : 'Updating';
    }
  }

  const conditions: Condition[] = conds.map((c) => {
    const prev = previous?.conditions?.find((x) => x.type === c.type);
    return { ...c, observedGeneration: o.generation, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  });
  const eps = endpoints(p);
  return {
    observedGeneration: o.generation,
    phase,
    conditions,
    ...(Object.keys(eps).length ? { endpoints: eps } : {}),
    ...(components.length ? { components } : {}),
    ...(o.removals?.released.length ? { released: o.removals.released } : {}),
  };
}
