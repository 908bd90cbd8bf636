/** The state of a stateful resource that existed and is gone (shared by every provider). */
import { notReady, type ServiceState } from './types.ts';

/** Never re-create it empty without the owner's word: say what happened and what to do. */
export function lost(kind: string, id: string, service: string): ServiceState {
  return notReady(
    'Missing',
    `${kind} ${id} existed and is gone (deleted outside the operator?): nothing is re-created empty. Restore it from its latest snapshot or backup under the same identifier, or annotate the platform platform.booking.io/recreate=${service} to create an empty one`,
    true,
  );
}
