/**
 * The platform's security parts beside its data services: IAM roles per component, application
 * secrets, admin sign-in at the ALB. Each part observes (and, where the operator creates things,
 * ensures) its own piece and returns facts for the pure renderers, objects to apply with the
 * platform's children, and a state for status; on deletion it removes what it created.
 *
 * The reconciler knows parts only through this interface (security/index.ts composes them).
 */
import type { BookingPlatform } from '../api/types.generated.ts';
import type { FinalizeResult, ServiceState } from '../data/types.ts';
import type { Obj } from '../kube/client.ts';
import type { Facts } from '../render/facts.ts';
import type { KubeObject } from '../render/index.ts';
import type { RenderContext } from '../render/names.ts';

export type SecurityPartName = 'iam' | 'secrets' | 'adminAuth';

/** What a part may read and write besides AWS (which it brings itself). */
export interface SecurityEnv {
  /** The operator's cluster identity (part of every AWS identifier). */
  ctx: RenderContext;
  /** The platform object as stored (uid, annotations). */
  raw: Obj;
  /** The informer caches (objects the platform owns, Secrets it reads). */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  /** Reads a Secret straight from the apiserver (values decoded), undefined when absent. */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Creates an object once (409 when it exists); for values generated once and never overwritten. */
  create(obj: KubeObject): Promise<void>;
  /** Reads any object straight from the apiserver (a kind the operator does not watch), undefined when absent. */
  read(apiVersion: string, kind: string, namespace: string, name: string): Promise<Obj | undefined>;
  /** A JSON patch (RFC 6902) guarded by its own `test` ops (a failed test answers 422); adds keys without touching others. */
  patch(ref: { apiVersion: string; kind: string; namespace: string; name: string }, ops: JsonPatchOp[]): Promise<void>;
  /**
   * A JSON patch of the platform itself, guarded by its uid (a test op is put first); `raw` then
   * carries the stored annotations and resourceVersion. For records that must outlive the spec
   * section that made them (what was created outside the cluster, and its deletionPolicy).
   */
  patchPlatform(ops: JsonPatchOp[]): Promise<void>;
  /** Deletes an object if it is still the one with this uid (absent is fine). */
  delete(ref: { apiVersion: string; kind: string; namespace: string; name: string }, uid: string): Promise<void>;
  /** A Warning Event on the platform (never a secret value in it). */
  warning(reason: string, message: string): void;
}

export type ObjectRef = { apiVersion: string; kind: string; namespace: string; name: string };

export type JsonPatchOp = { op: 'test' | 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/**
 * A not-ready observation without `facts` says the part cannot tell what it wants this pass (as
 * does an observe that throws): the reconciler then changes nothing those facts feed and prunes
 * nothing. A part that returns facts while not ready returns every object it wants to stay, in
 * `objects` or `keep` (what is missing is pruned).
 */
export interface PartObservation {
  /** Usable, or why not (reason CamelCase; never a secret value in the message). */
  state: ServiceState;
  /** Facts for the renderers (role ARNs, secret hashes, sign-in ids). */
  facts?: Partial<Facts>;
  /** Objects applied (and pruned) with the platform's children. */
  objects?: KubeObject[];
  /** Live objects the part cannot render this pass (a configuration error): left as they are, neither applied nor pruned. */
  keep?: ObjectRef[];
  /** Look again after this long (a pending creation, a sync schedule). */
  requeueAfterMs?: number;
}

export interface SecurityPart {
  readonly name: SecurityPartName;
  /** Whether the platform asks for this part (absent: nothing observed, nothing shown in status). */
  wanted(p: BookingPlatform): boolean;
  /** Whether something outside the namespace may need cleanup on deletion (then the platform gets the finalizer). */
  needsCleanup(p: BookingPlatform): boolean;
  /** Ensures what the operator creates (where it does) and observes it; also cleans what is no longer wanted. */
  observe(p: BookingPlatform, env: SecurityEnv): Promise<PartObservation>;
  /** Deletes what the operator created outside the cluster for this platform; called again until done. */
  remove(p: BookingPlatform, env: SecurityEnv): Promise<FinalizeResult>;
}

/** The parts' observations merged for one reconcile. */
export interface SecurityObservation {
  facts: Partial<Facts>;
  objects: KubeObject[];
  keep: ObjectRef[];
  /** Wanted parts that cannot tell what they want this pass (threw, or not ready without facts), with why. */
  unsure: Array<{ name: SecurityPartName; message: string }>;
  states: Array<{ name: SecurityPartName; state: ServiceState }>;
  requeueAfterMs?: number;
}
