/**
 * The apiserver's own checks of an object's metadata (ObjectMeta validation and the strict field
 * validation of `kubectl apply`), so `booking-operator validate` refuses what `kubectl apply`
 * would: a name that is no DNS-1123 subdomain, a namespace that is no DNS-1123 label, unknown
 * metadata fields, malformed labels and annotations. Objects read from the apiserver always pass.
 */
import type { FieldError } from './validate.ts';

const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** The apiserver's limit on the total size of an object's annotations. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a qualified name has at most one /';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  if (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253)) return 'prefix part must be a DNS-1123 subdomain';
  if (!name || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return "name part must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending alphanumeric";
  return undefined;
}

function stringMapErrors(value: unknown, path: string, checkValue?: (v: string) => string | undefined): FieldError[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [{ path, message: 'must be of type object' }];
  const errors: FieldError[] = [];
  for (const [key, v] of Object.entries(value)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) errors.push({ path: `${path}[${key}]`, message: `Invalid value: "${key}": ${keyProblem}` });
    if (typeof v !== 'string') errors.push({ path: `${path}[${key}]`, message: 'must be of type string' });
    else if (checkValue?.(v)) errors.push({ path: `${path}[${key}]`, message: `Invalid value: "${v}": ${checkValue(v)}` });
  }
  return errors;
}

export function objectMetaErrors(meta: unknown): FieldError[] {
  if (meta === undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) return [{ path: 'metadata.name', message: 'Required value: name is required' }];
  const m = meta as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(m)) if (!OBJECT_META_FIELDS.has(key)) errors.push({ path: `metadata.${key}`, message: `unknown field "${key}"` });
  if (typeof m.name !== 'string' || m.name === '') errors.push({ path: 'metadata.name', message: 'Required value: name is required' });
  else if (m.name.length > 253 || !DNS1123_SUBDOMAIN.test(m.name)) errors.push({ path: 'metadata.name', message: `Invalid value: "${m.name}": a lowercase RFC 1123 subdomain` });
  if (m.namespace !== undefined && (typeof m.namespace !== 'string' || m.namespace.length > 63 || !DNS1123_LABEL.test(m.namespace))) {
    errors.push({ path: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(m.namespace)}: a lowercase RFC 1123 label (lower case letters, digits and -, at most 63)` });
  }
  errors.push(...stringMapErrors(m.labels, 'metadata.labels', (v) => (v.length > 63 || !LABEL_VALUE.test(v) ? "a label value is 63 characters or less, empty or alphanumeric, '-', '_' or '.', starting and ending alphanumeric" : undefined)));
  errors.push(...stringMapErrors(m.annotations, 'metadata.annotations'));
  if (m.annotations && typeof m.annotations === 'object') {
    const size = Object.entries(m.annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
    if (size > ANNOTATIONS_MAX_BYTES) errors.push({ path: 'metadata.annotations', message: `Too long: must have at most ${ANNOTATIONS_MAX_BYTES} bytes` });
  }
  return errors;
}
