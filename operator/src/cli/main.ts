/**
 * booking-operator CLI.
 *   render   -f FILE|- [-o yaml|json] [--cluster-name NAME]
 *                                        every object the operator would create for the platform(s), as
 *                                        an operator with that cluster identity (default "default")
 *   validate -f FILE|-                  check platform(s) with the CRD's rules
 *   run                                  run the operator (see operator/src/main.ts)
 * Bad input exits 1 with one line per problem: `<file>: <field path>: <what is wrong>`.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify, type ScalarTag, type Tags } from 'yaml';
import { parsePlatform, type FieldError } from '../api/platform.ts';
import { GROUP, KIND } from '../api/schema.ts';
import type { BookingPlatform } from '../api/types.generated.ts';
import { renderPlatform, type KubeObject } from '../render/index.ts';
import { CLUSTER_NAME_PATTERN, DEFAULT_CLUSTER_NAME } from '../render/names.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const USAGE = `usage: booking-operator render -f FILE|- [-o yaml|json] [--cluster-name NAME]
       booking-operator validate -f FILE|-
       booking-operator run`;

/** The CLI as a function of its arguments and input (main() below wires it to the process). */
export function cli(argv: string[], readInput: (file: string) => string): CliResult {
  const [command, ...rest] = argv;
  const args = parseFlags(rest);
  if ((command !== 'render' && command !== 'validate') || !args.ok) {
    return { code: 2, stdout: '', stderr: `${args.ok ? '' : args.error + '\n'}${USAGE}\n` };
  }
  const { file, output, clusterName } = args;
  let text: string;
  try {
    text = readInput(file);
  } catch (err) {
    return { code: 1, stdout: '', stderr: `${file}: ${(err as Error).message}\n` };
  }
  const loaded = loadPlatforms(text);
  if (!loaded.ok) return { code: 1, stdout: '', stderr: loaded.errors.map((e) => `${file}: ${formatError(e)}\n`).join('') };
  if (command === 'validate') {
    return { code: 0, stdout: loaded.platforms.map((p) => `${file}: ${p.metadata.namespace ?? 'default'}/${p.metadata.name} is valid\n`).join(''), stderr: '' };
  }
  const items: KubeObject[] = loaded.platforms.flatMap((p) => renderPlatform(p, {}, { clusterName }));
  const stdout =
    output === 'json'
      ? JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2) + '\n'
      : items.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  return { code: 0, stdout, stderr: '' };
}

/**
 * YAML read the way `kubectl apply` reads it (sigs.k8s.io/yaml, go-yaml v2): YAML 1.1 scalars
 * (`yes`/`no`/`on`/`off` booleans, `0777` octal), merge keys, the last of duplicate keys wins;
 * timestamps and sexagesimal numbers stay strings, as kubectl keeps them. Aliases expand at most
 * MAX_ALIAS_COUNT times (an alias bomb is an error, not an out-of-memory).
 */
const MAX_ALIAS_COUNT = 100;
/** Go's strconv reads `0o17` as 15 (go-yaml v2 hands integers to it); YAML 1.1 alone would keep a string. */
const GO_OCTAL: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'GO-OCT',
  test: /^[-+]?0[oO][0-7_]+$/,
  resolve: (s) => (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[-+]?0[oO]/, '').replaceAll('_', ''), 8),
};
/** `!!float 1` is the number 1 for go-yaml (YAML 1.1 floats alone need a dot). */
const GO_TAGGED_FLOAT: ScalarTag = { identify: () => false, default: true, tag: 'tag:yaml.org,2002:float', format: 'GO-INT', test: /^[-+]?[0-9][0-9_]*$/, resolve: (s) => Number(s.replaceAll('_', '')) };
const YAML_OPTIONS = {
  version: '1.1',
  uniqueKeys: false,
  merge: true,
  customTags: (tags: Tags) => [...tags.filter((t) => !(typeof t === 'object' && (t.tag === 'tag:yaml.org,2002:timestamp' || t.format === 'TIME'))), GO_OCTAL, GO_TAGGED_FLOAT],
} as const;

/** Every BookingPlatform document in a YAML/JSON text, defaulted and validated. */
export function loadPlatforms(text: string): { ok: true; platforms: BookingPlatform[] } | { ok: false; errors: FieldError[] } {
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  const errors: FieldError[] = [];
  const platforms: BookingPlatform[] = [];
  (Array.isArray(docs) ? docs : [docs]).forEach((doc, i, all) => {
    const where = all.length > 1 ? `document ${i + 1}: ` : '';
    const yamlError = (message: string) => errors.push({ path: '', message: `${where}YAML: ${message.split('\n')[0]}` });
    if (doc.errors.length) return void doc.errors.forEach((e) => yamlError(e.message));
    let value: unknown;
    try {
      value = asJson(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
    } catch (err) {
      return void yamlError((err as Error).message);
    }
    if (value === null || value === undefined) return; // an empty document, as kubectl skips it
    const problem = documentProblem(value);
    if (problem) return void errors.push({ ...problem, message: `${where}${problem.message}` });
    const { kind, apiVersion } = value as Record<string, unknown>;
    // other kinds (e.g. the Secrets an external platform references) travel in the same file
    if (kind !== KIND && !String(apiVersion).startsWith(`${GROUP}/`)) return;
    const parsed = parsePlatform(value);
    if (parsed.ok) platforms.push(parsed.platform);
    else for (const e of parsed.errors) errors.push({ path: e.path, message: `${where}${e.message}` });
  });
  if (!errors.length) errors.push(...childNameCollisions(platforms));
  if (!errors.length && !platforms.length) errors.push({ path: '', message: 'no BookingPlatform found' });
  return errors.length ? { ok: false, errors } : { ok: true, platforms };
}

/** What kubectl refuses in any document: not an object, no kind or apiVersion, a kind that is BookingPlatform misspelled. */
function documentProblem(value: unknown): FieldError | undefined {
  if (typeof value !== 'object' || Array.isArray(value)) return { path: '', message: 'a document must be an object with apiVersion and kind' };
  const { kind, apiVersion } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || kind === '') return { path: 'kind', message: 'Required value: kind is missing' };
  if (typeof apiVersion !== 'string' || apiVersion === '') return { path: 'apiVersion', message: 'Required value: apiVersion is missing' };
  if (kind !== KIND && editDistance(kind.toLowerCase(), KIND.toLowerCase()) <= 2) return { path: 'kind', message: `Unsupported value: "${kind}": did you mean ${KIND}?` };
  return undefined;
}

/** The JSON kubectl sends: binary scalars as their text, no NaN or Infinity (JSON has neither). */
function asJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`unsupported value: ${value} (JSON has no NaN or Infinity)`);
  if (Array.isArray(value)) return value.map(asJson);
  if (value instanceof Map || value instanceof Set) throw new Error('!!omap, !!pairs and !!set are not JSON');
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJson(v)]));
  return value;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Two platforms of one namespace whose children would share a name (`shop` with service
 * `api-backend` and platform `shop-api` both make `shop-api-backend`). The CRD sees one object
 * at a time and cannot refuse this; the CLI refuses it within one file.
 */
function childNameCollisions(platforms: BookingPlatform[]): FieldError[] {
  const owners = new Map<string, string>();
  const errors: FieldError[] = [];
  for (const p of platforms) {
    for (const o of renderPlatform(p, {}, { clusterName: DEFAULT_CLUSTER_NAME })) {
      if (!o.metadata.namespace) continue;
      const key = `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
      const other = owners.get(key);
      if (other && other !== p.metadata.name) errors.push({ path: 'metadata.name', message: `platform ${p.metadata.name} and platform ${other} in namespace ${o.metadata.namespace} both make ${o.kind} ${o.metadata.name}` });
      else owners.set(key, p.metadata.name);
    }
  }
  return errors;
}

function formatError(e: FieldError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

function parseFlags(rest: string[]): { ok: true; file: string; output: 'yaml' | 'json'; clusterName: string } | { ok: false; error: string } {
  let file: string | undefined;
  let output: 'yaml' | 'json' = 'yaml';
  // AWS identifiers and tags depend on it: pass the operator's BOOKING_CLUSTER_NAME to see its names
  let clusterName = DEFAULT_CLUSTER_NAME;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    if ((flag === '-f' || flag === '--filename') && value !== undefined) {
      file = value;
      i++;
    } else if ((flag === '-o' || flag === '--output') && (value === 'yaml' || value === 'json')) {
      output = value;
      i++;
    } else if (flag === '--cluster-name' && value !== undefined) {
      if (!CLUSTER_NAME_PATTERN.test(value)) return { ok: false, error: `--cluster-name must be a DNS label (lower case letters, digits, '-'), got "${value}"` };
      clusterName = value;
      i++;
    } else {
      return { ok: false, error: `unknown or incomplete flag: ${flag}` };
    }
  }
  return file ? { ok: true, file, output, clusterName } : { ok: false, error: 'missing -f FILE' };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'run') {
    const { runOperator } = await import('../main.ts');
    return runOperator();
  }
  const result = cli(argv, (file) => readFileSync(file === '-' ? 0 : file, 'utf8'));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
