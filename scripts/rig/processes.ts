/**
 * Child processes that must not outlive the process that started them (the rig's etcd, apiserver,
 * controllers, kwok and moto; the tests' operators and ACK controllers). Each is spawned in a
 * process group of its own (`detached`), so one signal to the group reaches whatever it started
 * too, and a Ctrl-C meant for the test runner does not hit it half-way through a test; every
 * group still alive is killed — and every registered cleanup run — when this process exits or is
 * interrupted (SIGINT, SIGTERM, SIGHUP). So Ctrl-C of a test run or of `npm run demo` leaves
 * nothing behind. (A SIGKILL of this process cannot be caught: nothing can clean up after that.)
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let installed = false;

function killAll(): void {
  for (const proc of live) {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // best effort on the way out
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      // first in line (prepended): when someone else handles the signal (vitest, the demo), they
      // decide how to exit; otherwise die of it, as this process would have without a handler
      if (process.listenerCount(signal) > 1) return;
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.prependListener(signal, onSignal);
  }
}

/** `spawn`, in a process group of its own that is killed when this process exits or is interrupted. */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  install();
  const proc = spawn(command, args, { ...options, detached: true });
  if (proc.pid === undefined) return proc; // failed to start: its 'error' event says why
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

/** Runs `fn` (synchronous) if this process exits or is interrupted before the returned function is called. */
export function onExitOrInterrupt(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Sends `signal` to the process's group. */
export function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops a process started by `spawnOwned`: `signal` (SIGTERM) to its group, SIGKILL after
 * `graceMs`; resolves with its exit code once it has exited (at once if it already had).
 */
export async function stopOwned(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  signalGroup(proc, signal);
  const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  // anything the process started and left behind in its group
  try {
    process.kill(-proc.pid!, 'SIGKILL');
  } catch {
    // the group is empty
  }
  return code;
}
