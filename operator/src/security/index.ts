/**
 * Composes the security parts for one reconcile: each wanted part is observed on its own (one
 * failing part reports its own state and hides no other), and on deletion each removes what it
 * created until all are done. A wanted part that throws, or is not ready and gives no facts,
 * cannot tell what it wants: it is listed in `unsure`, and the reconciler then changes nothing
 * the parts' facts feed and prunes nothing (no memory of earlier passes needed, so a restarted
 * operator is as safe as a running one).
 */
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, type FinalizeResult } from '../data/types.ts';
import type { SecurityEnv, SecurityObservation, SecurityPart } from './types.ts';

export type { SecurityEnv, SecurityObservation, SecurityPart } from './types.ts';

export async function observeSecurity(parts: readonly SecurityPart[], p: BookingPlatform, env: SecurityEnv): Promise<SecurityObservation> {
  const out: SecurityObservation = { facts: {}, objects: [], keep: [], unsure: [], states: [] };
  for (const part of parts) {
    const wanted = part.wanted(p);
    try {
      const o = await part.observe(p, env);
      // a part no longer wanted still runs (it cleans up what it created) but shows in status only while wanted
      if (wanted) out.states.push({ name: part.name, state: o.state });
      if (wanted && !o.state.ready && o.facts === undefined) out.unsure.push({ name: part.name, message: o.state.message });
      Object.assign(out.facts, o.facts ?? {});
      out.objects.push(...(o.objects ?? []));
      out.keep.push(...(o.keep ?? []));
      if (o.requeueAfterMs !== undefined) out.requeueAfterMs = Math.min(out.requeueAfterMs ?? Infinity, o.requeueAfterMs);
    } catch (err) {
      if (!wanted) throw err;
      const state = notReady('Error', (err as Error).message.split('\n')[0]!.slice(0, 300));
      out.states.push({ name: part.name, state });
      out.unsure.push({ name: part.name, message: state.message });
      out.requeueAfterMs = Math.min(out.requeueAfterMs ?? Infinity, 30_000);
    }
  }
  return out;
}

/** Every part's removal (deletion of the platform); done when all are. */
export async function removeSecurity(parts: readonly SecurityPart[], p: BookingPlatform, env: SecurityEnv): Promise<FinalizeResult> {
  const pending: string[] = [];
  for (const part of parts) {
    if (!part.needsCleanup(p)) continue;
    const r = await part.remove(p, env);
    if (!r.done) pending.push(`${part.name}: ${r.message}`);
  }
  return pending.length ? { done: false, message: pending.join('; ') } : { done: true, message: 'security parts removed' };
}

export const securityNeedsCleanup = (parts: readonly SecurityPart[], p: BookingPlatform): boolean => parts.some((part) => part.needsCleanup(p));
