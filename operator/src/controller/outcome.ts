/**
 * What a reconcile asks of the queue, as a value. The mapping to queue behaviour lives in one
 * place (Controller.process), never in the reconciler.
 */
export type Outcome =
  | { type: 'done' }
  /** Converging on something slow (a database, a rollout): look again after `afterMs`. */
  | { type: 'requeue'; afterMs: number; reason: string }
  /** A transient failure: retry with the key's exponential backoff. */
  | { type: 'retry'; error: Error }
  /** Nothing will change until the spec does (invalid input): no retry storm. */
  | { type: 'terminal'; reason: string };

export const done = (): Outcome => ({ type: 'done' });
export const requeue = (afterMs: number, reason: string): Outcome => ({ type: 'requeue', afterMs, reason });
export const retry = (error: Error): Outcome => ({ type: 'retry', error });
export const terminal = (reason: string): Outcome => ({ type: 'terminal', reason });
