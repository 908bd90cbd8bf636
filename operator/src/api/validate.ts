/**
 * Validation with the CRD's own rules: the structural schema (types, enums, patterns, bounds,
 * required, unknown fields, list-map keys) and every CEL rule through its TypeScript twin.
 * Messages of CEL rules are the same strings the apiserver returns.
 */
import type { Schema } from './schema-dsl.ts';

export interface FieldError {
  /** Field path as the apiserver prints it, e.g. `spec.mcpServers[1].name`. */
  path: string;
  message: string;
}

export function validateAgainst(value: unknown, schema: Schema, path: string, old?: unknown): FieldError[] {
  const errors: FieldError[] = [];
  walk(value, schema, path, old, errors);
  return errors;
}

function walk(value: unknown, schema: Schema, path: string, old: unknown, errors: FieldError[]): void {
  const before = errors.length;
  const fail = (message: string, at = path): void => {
    errors.push({ path: at, message });
  };

  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !Number.isInteger(value)) return fail('must be an integer or a string');
    if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern).test(value)) fail(`must be a quantity like 500m or 1Gi, got "${value}"`);
    if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) fail(`should be greater than or equal to ${schema.minimum}`);
  } else switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('must be of type object');
      const obj = value as Record<string, unknown>;
      const oldObj = (old && typeof old === 'object' ? old : undefined) as Record<string, unknown> | undefined;
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined) fail('Required value', join(path, key));
      }
      if (schema.maxProperties !== undefined && Object.keys(obj).length > schema.maxProperties) fail(`must have at most ${schema.maxProperties} properties`);
      for (const [key, child] of Object.entries(obj)) {
        if (child === undefined) continue; // absent, as in JSON
        // own properties only: `constructor` or `__proto__` are unknown fields, not Object's
        const childSchema = (schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined) ?? schema.additionalProperties;
        if (!childSchema) {
          if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.properties) fail(`unknown field "${key}"`, join(path, key));
          continue;
        }
        walk(child, childSchema, join(path, key), oldObj?.[key], errors);
      }
      break;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be of type array');
      if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
      const keys = schema['x-kubernetes-list-map-keys'];
      const oldList = Array.isArray(old) ? old : [];
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const id = keys ? JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k])) : JSON.stringify(item);
        const unique = keys || schema['x-kubernetes-list-type'] === 'set';
        if (unique && seen.has(id)) fail(`Duplicate value: ${keys ? `name "${keys.map((k) => (item as Record<string, unknown>)[k]).join('/')}" is used twice` : id}`, `${path}[${i}]`);
        seen.add(id);
        // map lists correlate old items by key, as the apiserver does for transition rules
        const oldItem = keys ? oldList.find((o) => JSON.stringify(keys.map((k) => o?.[k])) === id) : undefined;
        walk(item, schema.items!, `${path}[${i}]`, oldItem, errors);
      });
      break;
    }
    case 'string':
      if (typeof value !== 'string') return fail('must be of type string');
      if (schema.enum && !schema.enum.includes(value)) return fail(`Unsupported value: "${value}": supported values: ${schema.enum.map((v) => `"${v}"`).join(', ')}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) fail(`must be at least ${schema.minLength} characters long`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) fail(`must be at most ${schema.maxLength} characters long`);
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) fail(`"${value}" should match '${schema.pattern}'`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return fail(`must be of type ${schema.type}`);
      if (schema.minimum !== undefined && value < schema.minimum) fail(`should be greater than or equal to ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) fail(`should be less than or equal to ${schema.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be of type boolean');
      break;
  }
  // CEL rules run on structurally valid nodes only, so their TypeScript twins see the right shapes.
  if (errors.length > before) return;
  for (const rule of schema.rules ?? []) {
    if (rule.transition && old === undefined) continue;
    if (!rule.check(value, old)) fail(rule.message, rule.fieldPath ? `${path}${rule.fieldPath}` : path);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
