/**
 * The entry point for turning untrusted input into a BookingPlatform the renderers can use:
 * default it exactly as the apiserver would, then validate it with the CRD's rules.
 */
import { applyDefaults } from './defaults.ts';
import { objectMetaErrors } from './metadata.ts';
import { API_VERSION, KIND, rootSchema } from './schema.ts';
import type { BookingPlatform, DatabaseSpec } from './types.generated.ts';
import { validateAgainst, type FieldError } from './validate.ts';

export type { FieldError };

export type ParseResult = { ok: true; platform: BookingPlatform } | { ok: false; errors: FieldError[] };

/** Defaults and validates `input`; `old` (the stored object) enables the immutability rules. */
export function parsePlatform(input: unknown, old?: BookingPlatform): ParseResult {
  if (!input || typeof input !== 'object') return { ok: false, errors: [{ path: '', message: 'must be an object' }] };
  const obj = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (obj.apiVersion !== API_VERSION) errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (obj.kind !== KIND) errors.push({ path: 'kind', message: `must be ${KIND}` });
  // the apiserver's metadata checks first; the CRD's own rule on the name (a DNS-1035 label) follows
  errors.push(...objectMetaErrors(obj.metadata));
  if (errors.length) return { ok: false, errors };
  const defaulted = applyDefaults(obj, rootSchema) as unknown as BookingPlatform;
  const { metadata, ...rest } = defaulted;
  // metadata is the apiserver's to validate; only the root CEL rule reads metadata.name
  const validated = validateAgainst({ ...rest, metadata: { name: metadata.name } }, { ...rootSchema, properties: { ...rootSchema.properties, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }, '', old);
  return validated.length ? { ok: false, errors: validated } : { ok: true, platform: defaulted };
}

/** Deletion protection defaults to on in production (documented on the field). */
export function deletionProtection(db: DatabaseSpec, environment: string): boolean {
  return db.deletionProtection ?? environment === 'production';
}

export function isAurora(db: DatabaseSpec): boolean {
  return db.engine.startsWith('aurora-');
}

export function isPostgres(db: DatabaseSpec): boolean {
  return db.engine === 'postgres' || db.engine === 'aurora-postgresql';
}
