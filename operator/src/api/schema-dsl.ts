/**
 * A tiny builder for structural OpenAPI v3 schemas (the subset Kubernetes CRDs allow).
 *
 * The BookingPlatform schema is written once with these helpers; from it we generate the CRD,
 * the TypeScript types, defaulting and validation, so the four cannot drift apart.
 */

/** A CEL rule as the apiserver evaluates it, paired with the same check in TypeScript. */
export interface Rule {
  /** CEL expression placed in `x-kubernetes-validations` at this schema node. */
  rule: string;
  /** Message the apiserver returns (and `booking-operator validate` prints) when it fails. */
  message: string;
  /** The same rule in TypeScript; `self` is the node's value, `old` its previous value. */
  check: (self: any, old?: any) => boolean;
  /** Transition rules only run on update, when an old value exists. */
  transition?: boolean;
  /** The field the error is reported at, relative to this node (`.image`), as in the CRD. */
  fieldPath?: string;
  /** `FieldValueRequired` makes the apiserver print "Required value: <message>". */
  reason?: 'FieldValueRequired' | 'FieldValueInvalid';
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  enum?: readonly (string | number)[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  /** Names the generated TypeScript interface for this node. */
  title?: string;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  /** Kept in TypeScript only; rendered as `x-kubernetes-validations` by the CRD generator. */
  rules?: Rule[];
}

type Opts = Omit<Schema, 'type' | 'properties' | 'items'>;

/** An object whose keys listed in `required` must be present. */
export function object(properties: Record<string, Schema>, opts: Opts = {}): Schema {
  return { type: 'object', properties, ...opts };
}
export function string(description: string, opts: Opts = {}): Schema {
  return { type: 'string', description, ...opts };
}
export function integer(description: string, opts: Opts = {}): Schema {
  return { type: 'integer', description, ...opts };
}
export function number(description: string, opts: Opts = {}): Schema {
  return { type: 'number', description, ...opts };
}
export function boolean(description: string, opts: Opts = {}): Schema {
  return { type: 'boolean', description, ...opts };
}
export function array(items: Schema, description: string, opts: Opts = {}): Schema {
  return { type: 'array', items, description, ...opts };
}
export function enumOf<T extends string>(values: readonly T[], description: string, opts: Opts = {}): Schema {
  return { type: 'string', enum: values, description, ...opts };
}
/** A map of string to string (labels, annotations, resource quantities as strings). */
export function stringMap(description: string, opts: Opts = {}): Schema {
  return { type: 'object', additionalProperties: { type: 'string' }, description, ...opts };
}
/** A Kubernetes quantity ("500m", "1Gi", 2). */
export function quantity(description: string, opts: Opts = {}): Schema {
  return { 'x-kubernetes-int-or-string': true, description, pattern: QUANTITY_PATTERN, ...opts };
}
/** The apiserver's own pattern for resource.Quantity. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/**
 * Fields an `enabled: false` section may leave out (it runs nothing): required only while
 * enabled, reported at the field itself as the apiserver's `Required value`.
 */
export function requiredWhenEnabled(fields: string[]): Rule[] {
  return fields.map((f) => ({
    rule: `!self.enabled || has(self.${f})`,
    message: `${f} is required unless enabled is false`,
    check: (s) => !s.enabled || s[f] !== undefined,
    fieldPath: `.${f}`,
    reason: 'FieldValueRequired',
  }));
}

/** QUANTITY_PATTERN without the minus sign: what the apiserver takes for container resources. */
export const NONNEGATIVE_QUANTITY_PATTERN = QUANTITY_PATTERN.replace('^(\\+|-)?', '^\\+?');

/** A field that cannot change once set (a CEL transition rule). */
export function immutable(schema: Schema, what: string): Schema {
  return {
    ...schema,
    rules: [
      ...(schema.rules ?? []),
      { rule: 'self == oldSelf', message: `${what} is immutable`, check: (s, o) => deepEqual(s, o), transition: true },
    ],
  };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
