/**
 * What the image ships, without a container engine: the bundle `npm run build` writes
 * (scripts/build.ts), copied alone into an empty folder with no node_modules anywhere above it
 * (the image has none), renders every example exactly as the sources do, starts the operator
 * without loading the AWS SDK, serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { buildOperator, chunksAtStart, inputsOf } from '../../../scripts/build.ts';
import { freePort, waitFor } from '../../../scripts/rig/rig.ts';
import { cli } from '../../src/cli/main.ts';
import { REPO } from '../rig/kubectl.ts';

const rig = inject('rig');

/** node_modules in `dir` or any folder above it (Node would resolve packages from there). */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(join(d, 'node_modules'));
    if (d === parse(d).root) return found;
  }
}

describe('the production build', () => {
  // the 354 s once seen here was a watch stopped while it waited for the apiserver's answer,
  // held until the server's 300 s watch timeout (fixed and pinned by shutdown.test.ts)
  it('runs from dist/ alone: no node_modules, no AWS SDK in the chunks a start loads', async () => {
    const app = mkdtempSync(join(tmpdir(), 'dist-'));
    expect(nodeModulesAbove(app), 'a folder without node_modules above it').toEqual([]);
    const meta = await buildOperator(join(app, 'dist'));
    const atStart = inputsOf(meta, chunksAtStart(meta));
    expect(atStart.filter((i) => i.includes('@kubernetes/client-node')).length, 'the kube client is in the start chunks').toBeGreaterThan(0);
    // the AWS SDK is loaded on first use only (operator/src/no-aws-at-start.test.ts for the sources)
    expect(atStart.filter((i) => i.includes('node_modules/@aws-sdk/'))).toEqual([]);
    expect(inputsOf(meta, Object.keys(meta.outputs)).some((i) => i.includes('node_modules/@aws-sdk/client-rds/'))).toBe(true);

    // the bundle renders every example byte for byte as the sources do
    const examples = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(examples.length).toBeGreaterThan(5);
    for (const f of examples) {
      const file = join(REPO, 'examples', f);
      const built = spawnSync(process.execPath, ['dist/cli/main.js', 'render', '-f', file], { cwd: app, encoding: 'utf8', timeout: 60_000 });
      const source = cli(['render', '-f', file], (p) => readFileSync(p, 'utf8'));
      expect({ f, code: built.status, stderr: built.stderr }).toEqual({ f, code: source.code, stderr: source.stderr });
      expect(built.stdout, f).toBe(source.stdout);
    }

    // AWS_REGION: the sdk provider's chunks are loaded at start, from dist/ alone
    const port = await freePort();
    const proc = spawn(process.execPath, ['dist/cli/main.js', 'run'], {
      cwd: app,
      env: { PATH: process.env.PATH, KUBECONFIG: rig.kubeconfig, LEADER_ELECT: 'false', WATCH_NAMESPACES: 'dist-test', METRICS_PORT: String(port), HEALTH_PORT: String(port), LOG_LEVEL: 'info', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let started = false;
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    try {
      // a start that never gets there is reported with the process's own output
      await waitFor(`http://127.0.0.1:${port}/healthz`, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; operator output:\n${output}`);
      });
      await waitFor(`http://127.0.0.1:${port}/readyz`, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; operator output:\n${output}`);
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('controller_runtime_reconcile_total');
      expect(metrics).toContain('workqueue_depth');
      started = true;
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        proc.once('exit', (c) => resolve(c));
        proc.kill('SIGTERM');
      });
      // after a failed start the kill is cleanup: the error above is the one to see
      if (started) expect(code, output).toBe(0);
    }
    // structured JSON logs
    const first = output.split('\n').find((l) => l.startsWith('{'));
    expect(JSON.parse(first!)).toMatchObject({ component: 'booking-operator' });
  }, 240_000);
});
