/**
 * A workload that changes kind under the same name — the WhatsApp gateway, a Deployment in earlier
 * builds and a StatefulSet now — must never run beside the one it replaces (two gateways are two
 * sessions on one account). So the old object is deleted with foreground propagation, which makes
 * the apiserver keep it (finalizer `foregroundDeletion`) until the garbage collector has deleted
 * its ReplicaSets and they their pods, each confirmed gone; and the new object is not created
 * while the old one is there. Pruning must not take the old one: its background deletion drops
 * the Deployment at once, and the StatefulSet would start beside a pod still stopping — or
 * Terminating for good on a lost node.
 */
import type { Obj } from '../kube/client.ts';
import type { KubeObject } from '../render/index.ts';
import { objectKey } from './apply.ts';

/** Kinds that run pods under their own name; one may replace another of the same name. */
const POD_OWNERS = new Set(['Deployment', 'StatefulSet']);

export interface Predecessor {
  /** The live object, of another kind, that the desired one replaces. */
  old: Obj;
  /** objectKey of the desired object that waits for it. */
  successor: string;
  /** Why the successor waits (for status). */
  reason: string;
}

/** Owned pod-running objects that a desired one of another kind and the same name replaces. */
export function predecessors(desired: KubeObject[], owned: Obj[]): Predecessor[] {
  const out: Predecessor[] = [];
  for (const d of desired) {
    if (!POD_OWNERS.has(d.kind)) continue;
    for (const o of owned) {
      if (o.kind === d.kind || !POD_OWNERS.has(o.kind ?? '') || o.metadata.name !== d.metadata.name || o.metadata.namespace !== d.metadata.namespace) continue;
      out.push({ old: o, successor: objectKey(d), reason: `replaces ${o.kind} ${o.metadata.name}: created once that and its pods are gone (never two at once)` });
    }
  }
  return out;
}
