/**
 * Ctrl-C of a test run or of the demo leaves nothing behind: a child process starts what a test
 * run starts (operator/test/rig/interrupt-child.ts: a rig, a lone node, an operator process, a
 * private moto) and is sent SIGINT — only it, as `kill -INT` does, not its whole terminal group.
 * Every process it started is gone soon after, and so is the rig's folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../rig/kubectl.ts';
import { waitUntil } from '../rig/wait.ts';

/** Running: the process exists and is not a zombie (killed, waiting to be reaped by whoever adopted it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

it('SIGINT stops the rig, the operator, the lone node and moto with the process that started them', async () => {
  const child = spawn(process.execPath, [join(REPO, 'operator/test/rig/interrupt-child.ts')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let started: { children: Array<{ pid: number; name: string }>; dir: string } | undefined;
  try {
    started = await waitUntil('the child started everything', () => {
      if (child.exitCode !== null) throw new Error(`child exited ${child.exitCode}: ${stderr}`);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      return line ? JSON.parse(line) : undefined;
    }, 180_000, 200);
  } finally {
    if (!started) child.kill('SIGKILL');
  }
  const names = started!.children.map((c) => c.name);
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller', 'kube-scheduler', 'kwok', 'node']) expect(names, JSON.stringify(started)).toContain(name);
  expect(names.filter((n) => n === 'kwok'), 'the rig\'s kwok and the lone node\'s').toHaveLength(2);
  expect(names.filter((n) => /moto|python/.test(n)), 'the rig\'s moto and the private one').toHaveLength(2);
  expect(existsSync(started!.dir)).toBe(true);

  child.kill('SIGINT');
  expect(await exited).toBe('SIGINT');
  const pids = started!.children.map((c) => c.pid);
  try {
    await waitUntil('every child process gone', () => pids.every((pid) => !running(pid)), 30_000, 200);
  } finally {
    // whatever is left (the old code), so it does not outlive the test either
    for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL');
  }
  expect(existsSync(started!.dir), 'the rig folder removed').toBe(false);
}, 240_000);
