/**
 * Structural defaulting, as the apiserver does it: a property with a `default` that is absent gets
 * it, then defaulting continues inside. Used by the CLI and by the operator for objects that were
 * stored without defaulting (e.g. written before a default was added).
 */
import type { Schema } from './schema-dsl.ts';

export function applyDefaults<T>(value: T, schema: Schema): T {
  if (Array.isArray(value)) {
    return (schema.items ? value.map((v) => applyDefaults(v, schema.items!)) : value) as T;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    // the apiserver drops a null where a default exists (no field here is nullable), then defaults it
    if ((out[key] === undefined || out[key] === null) && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = applyDefaults(out[key], child);
  }
  if (schema.additionalProperties) {
    for (const key of Object.keys(out)) {
      if (!schema.properties?.[key]) out[key] = applyDefaults(out[key], schema.additionalProperties);
    }
  }
  return out as T;
}
