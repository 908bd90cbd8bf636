/**
 * The `provisioner: sdk` row: N platforms with a database, a cache and an uploads bucket, moto as
 * AWS, the operator as its own process. AWS calls are counted where they arrive (moto's request
 * log); reconciles from the operator's own counter. Two phases: from nothing to Ready, then a
 * rollout of every backend Deployment (`kubectl rollout restart`: its pods are replaced, each
 * moving the Deployment's status, each a reconcile of its platform).
 */
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClients } from '../../operator/src/aws/clients.ts';
import { kubectl, kubectlOk } from '../../operator/test/rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess } from '../../operator/test/rig/operator-process.ts';
import { freePort, startRig, waitFor } from '../rig/rig.ts';
import { installPlatformCrd, until } from './measure.ts';

const REGION = 'us-east-1';

/** Requests moto has answered so far (werkzeug logs one line per request). */
function awsCalls(motoLog: string): number {
  return (readFileSync(motoLog, 'utf8').match(/"[A-Z]+ \S+ HTTP\/1\.[01]" \d{3}/g) ?? []).length;
}

/** The operator of another checkout, with what this row reads of it (its reconcile counter). */
async function operatorFrom(repo: string, kubeconfig: string, env: Record<string, string>) {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(repo, 'bin/booking-operator.js'), 'run'], { env: { ...process.env, KUBECONFIG: kubeconfig, POD_NAME: 'bench-sdk', POD_NAMESPACE: 'default', METRICS_PORT: String(port), HEALTH_PORT: String(port), RESYNC_SECONDS: '600', ...env }, stdio: 'ignore' });
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  await waitFor(`http://127.0.0.1:${port}/readyz`, 60_000);
  return {
    async metric(name: string): Promise<number> {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    async stop(): Promise<void> {
      process.off('exit', kill);
      if (proc.exitCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

export async function benchSdk(opts: { platforms: number; say: (m: string) => void }) {
  const rig = await startRig({ nodes: 4, moto: true, log: opts.say });
  try {
    await installPlatformCrd(rig);
    const ec2 = createClients({ region: REGION, endpoint: rig.awsEndpoint!, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }).ec2;
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    const subnetIds: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) subnetIds.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.50.${i + 1}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!);
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'bench-pods', Description: 'pods' }))).GroupId!;
    const env = { ...sdkOperatorEnv('bench-sdk', 'bench', rig.awsEndpoint!, REGION), LOG_LEVEL: 'warn' };
    // BENCH_OPERATOR_REPO: another copy of the repository to run instead (a before/after comparison)
    const op = process.env.BENCH_OPERATOR_REPO ? await operatorFrom(process.env.BENCH_OPERATOR_REPO, rig.kubeconfig, env) : await startOperatorProcess(rig.kubeconfig, { identity: 'bench-sdk', logDir: mkdtempSync(join(tmpdir(), 'bench-sdk-')), env });
    const motoLog = join(rig.dir, 'moto.log');
    const ns = 'sdk';
    kubectlOk(rig, ['create', 'namespace', ns]);
    const items = Array.from({ length: opts.platforms }, (_, i) => ({
      apiVersion: 'platform.booking.io/v1alpha1',
      kind: 'BookingPlatform',
      metadata: { name: `s${i}`, namespace: ns },
      spec: {
        environment: 'bench',
        provisioner: 'sdk',
        aws: { region: REGION, subnetIds, securityGroupIds: [sg] },
        backend: { image: 'registry.example/backend:1.0.0', resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '32Mi' } } },
        database: { engine: 'postgres', version: '16', instanceClass: 'db.t4g.micro', multiAZ: false, deletionPolicy: 'Delete' },
        cache: { replicas: 0, deletionPolicy: 'Delete' },
        uploads: { enabled: true, deletionPolicy: 'Delete' },
      },
    }));
    const phase = async (what: string, act: () => void, done: () => boolean) => {
      const calls0 = awsCalls(motoLog);
      const rec0 = await op.metric('controller_runtime_reconcile_total');
      const t0 = Date.now();
      act();
      await until(what, done, 10 * 60_000, 500);
      await new Promise((r) => setTimeout(r, 3_000)); // the events of the last pods
      const calls = awsCalls(motoLog) - calls0;
      const reconciles = (await op.metric('controller_runtime_reconcile_total')) - rec0;
      const row = { phase: what, platforms: opts.platforms, ms: Date.now() - t0, reconciles, awsCalls: calls, awsCallsPerReconcile: Math.round((calls / Math.max(reconciles, 1)) * 10) / 10, awsCallsPerPlatform: Math.round((calls / opts.platforms) * 10) / 10 };
      opts.say(JSON.stringify(row));
      return row;
    };
    const ready = () => kubectlOk(rig, ['get', 'bkp', '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']).split('\n').filter((l) => l === 'True').length === opts.platforms;
    const create = await phase('from nothing to Ready', () => kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items })), ready);
    const rolledOut = () => items.every((p) => kubectl(rig, ['rollout', 'status', `deployment/${p.metadata.name}-backend`, '-n', ns, '--timeout=1s']).code === 0);
    const rollout = await phase('a rollout of every backend Deployment', () => kubectlOk(rig, ['rollout', 'restart', 'deployment', '-n', ns, '-l', 'app.kubernetes.io/name=backend']), () => rolledOut() && ready());
    await op.stop();
    return [create, rollout];
  } finally {
    await rig.stop();
  }
}
