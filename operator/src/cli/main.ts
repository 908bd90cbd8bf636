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
import { parseAllDocuments, stringify } from 'yaml';
import { parsePlatform, type FieldError } from '../api/platform.ts';
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

/** Every BookingPlatform document in a YAML/JSON text, defaulted and validated. */
export function loadPlatforms(text: string): { ok: true; platforms: BookingPlatform[] } | { ok: false; errors: FieldError[] } {
  const docs = parseAllDocuments(text);
  const errors: FieldError[] = [];
  const platforms: BookingPlatform[] = [];
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `document ${i + 1}: ` : '';
    if (doc.errors.length) {
      for (const e of doc.errors) errors.push({ path: '', message: `${where}YAML: ${e.message.split('\n')[0]}` });
      return;
    }
    const value = doc.toJS();
    // other kinds (e.g. the Secrets an external platform references) travel in the same file
    if (value === null || value === undefined || (typeof value === 'object' && 'kind' in value && value.kind !== 'BookingPlatform')) return;
    const parsed = parsePlatform(value);
    if (parsed.ok) platforms.push(parsed.platform);
    else for (const e of parsed.errors) errors.push({ path: e.path, message: `${where}${e.message}` });
  });
  if (!errors.length && !platforms.length) errors.push({ path: '', message: 'no BookingPlatform found' });
  return errors.length ? { ok: false, errors } : { ok: true, platforms };
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
