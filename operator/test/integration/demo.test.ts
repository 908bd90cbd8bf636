/** The README's "run it" command works: `npm run demo` brings both example platforms to Ready. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../rig/kubectl.ts';

describe('npm run demo', () => {
  it('starts its own rig, reconciles the examples to Ready, shows the AWS resources, and stops', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'scripts/demo.ts')], { cwd: REPO, env: { ...process.env, DEMO_EXIT: '1' }, encoding: 'utf8', timeout: 300_000 });
    expect(r.stdout).toContain('every platform is Ready');
    expect(r.stdout).toMatch(/AWS RDS bkp-delta-delta-[0-9a-f]{10}-db: postgres 16 .* available/);
    expect(r.stdout).toMatch(/AWS S3 bkp-delta-delta-[0-9a-f]{10}-uploads/);
    expect(r.status, r.stderr).toBe(0);
  }, 320_000);
});
