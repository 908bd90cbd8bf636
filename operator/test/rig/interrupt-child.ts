/**
 * For interrupt.test.ts: starts what a test run starts — a rig (etcd, kube-apiserver,
 * controller-manager, scheduler, kwok, moto), a lone node's kwok, an operator process and a private
 * moto_server — then prints one JSON line (its child processes' PIDs and names, the rig's folder)
 * and waits to be interrupted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startLoneNode, startRig } from '../../../scripts/rig/rig.ts';
import { startMoto } from '../aws/moto.ts';
import { installCrds } from './kubectl.ts';
import { startOperatorProcess } from './operator-process.ts';

const rig = await startRig({ nodes: 1 });
installCrds(rig, 'project');
await startLoneNode(rig, 'interrupt-node', { logDir: rig.dir });
await startOperatorProcess(rig.kubeconfig, { identity: 'interrupt', env: { LEASE_NAME: 'interrupt', WATCH_NAMESPACES: 'interrupt' }, logDir: tmpdir() });
await startMoto();

/** This process's children, from /proc: PID and command name. */
function children(): Array<{ pid: number; name: string }> {
  const out: Array<{ pid: number; name: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push({ pid: Number(entry), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

console.log(JSON.stringify({ children: children(), dir: rig.dir }));
setInterval(() => {}, 60_000);
