/**
 * What the image ships, without a container engine: the compiled `dist/` with production
 * dependencies only (`npm ci --omit=dev`, as the Dockerfile's last stage) starts the operator,
 * serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort, waitFor } from '../../../scripts/rig/rig.ts';
import { REPO } from '../rig/kubectl.ts';

const rig = inject('rig');

describe('the production build', () => {
  // up to 354 s seen in a clean-clone run (npm ci --omit=dev and the built operator's start and
  // graceful stop on two busy cores); why the stop took minutes there is not yet known
  it('runs from dist/ with production dependencies only', async () => {
    const app = mkdtempSync(join(tmpdir(), 'dist-'));
    execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], { cwd: REPO, stdio: 'pipe' });
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(REPO, f), join(app, f));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe', timeout: 300_000 });
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/@kubernetes/client-node'))).toBe(true);

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
  }, 600_000);
});
