/**
 * `npm run demo`: the README's "run it". Starts the local rig (control plane, kwok nodes, moto as
 * AWS), runs the operator from source against it, applies two example platforms — one on
 * existing endpoints (`external`), one whose data services the operator creates in "AWS" through
 * the SDK — and prints what happens as it happens. Then it leaves everything running, with a
 * KUBECONFIG line for kubectl, until Ctrl-C. DEMO_EXIT=1 exits once every platform is Ready.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configFromEnv } from '../operator/src/config.ts';
import { startOperator } from '../operator/src/main.ts';
import { motoClients, network, REGION } from '../operator/test/aws/moto.ts';
import { installCrds, kubectlOk } from '../operator/test/rig/kubectl.ts';
import { startRig } from './rig/rig.ts';

const started = Date.now();
const say = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const region = REGION;

say('starting the local rig (etcd, kube-apiserver, controller-manager, scheduler, kwok, moto)…');
const rig = await startRig({ nodes: 3, log: (l) => say(l) });
installCrds(rig);
say(`rig ready: ${JSON.stringify(rig.timings)}`);

// the SDK's default credential chain reads these; moto accepts any
process.env.AWS_ACCESS_KEY_ID ??= 'demo';
process.env.AWS_SECRET_ACCESS_KEY ??= 'demo';
const aws = motoClients(rig.awsEndpoint!);
const net = await network(aws, '10.20.0.0/16');
const [vpc, subnets, sg] = [net.vpcId, net.subnetIds, net.securityGroupIds[0]!];
say(`created the network in moto: ${vpc}, ${subnets.join(', ')}, ${sg}`);

say('starting the operator from source…');
const op = await startOperator({ ...configFromEnv({}), kubeconfig: rig.kubeconfig, leaderElect: false, metricsPort: 0, healthPort: 0, logLevel: 'warn', awsRegion: region, awsEndpoint: rig.awsEndpoint, clusterName: 'demo' });
say(`operator running; metrics on http://127.0.0.1:${op.ports.metrics}/metrics`);

const kubectl = (args: string[], input?: string) => kubectlOk(rig, args, input);
kubectl(['apply', '--server-side', '-f', 'examples/local-external.yaml']);
say('applied examples/local-external.yaml (existing endpoints through Secrets)');
const sdk = parse(readFileSync('examples/sdk.yaml', 'utf8'));
sdk.spec.aws = { ...sdk.spec.aws, region, vpcId: vpc, subnetIds: subnets, securityGroupIds: [sg] };
kubectl(['create', 'namespace', sdk.metadata.namespace]);
kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(sdk));
say('applied examples/sdk.yaml (the operator creates RDS, ElastiCache, EFS and S3 in moto)');

const platforms = [
  ['dev', 'dev'],
  [sdk.metadata.namespace as string, sdk.metadata.name as string],
] as const;
const seen = new Map<string, string>();
const objects = new Set<string>();
let allReady = false;
const deadline = Date.now() + 10 * 60_000;
while (!allReady && Date.now() < deadline) {
  allReady = true;
  for (const [ns, name] of platforms) {
    const p = op.controller.platform(ns, name);
    if (!p) {
      allReady = false;
      continue;
    }
    for (const o of op.controller.owned(p)) {
      const id = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
      if (!objects.has(id)) {
        objects.add(id);
        say(`  + ${id}`);
      }
    }
    const conds = (p.status?.conditions ?? []) as Array<{ type: string; status: string; reason: string; message: string }>;
    const summary = conds.map((c) => `${c.type}=${c.status}`).join(' ');
    const ready = conds.find((c) => c.type === 'Ready');
    const line = `${ns}/${name}: phase ${p.status?.phase ?? '-'} | ${summary}${ready && ready.status !== 'True' ? ` | ${ready.reason}: ${ready.message}` : ''}`;
    if (seen.get(`${ns}/${name}`) !== line) {
      seen.set(`${ns}/${name}`, line);
      say(line);
    }
    if (ready?.status !== 'True') allReady = false;
  }
  await new Promise((r) => setTimeout(r, 500));
}
say(allReady ? 'every platform is Ready' : 'not every platform became Ready within 10 minutes (see the conditions above)');

const rds = await aws.rds.send(new DescribeDBInstancesCommand({}));
for (const d of rds.DBInstances ?? []) say(`  AWS RDS ${d.DBInstanceIdentifier}: ${d.Engine} ${d.EngineVersion} ${d.DBInstanceClass} ${d.DBInstanceStatus} at ${d.Endpoint?.Address}:${d.Endpoint?.Port}`);
const cache = await aws.elasticache.send(new DescribeReplicationGroupsCommand({}));
for (const g of cache.ReplicationGroups ?? []) say(`  AWS ElastiCache ${g.ReplicationGroupId}: ${g.Status}`);
const efs = await aws.efs.send(new DescribeFileSystemsCommand({}));
for (const f of efs.FileSystems ?? []) say(`  AWS EFS ${f.FileSystemId}: ${f.LifeCycleState}, encrypted=${f.Encrypted}`);
const s3 = await aws.s3.send(new ListBucketsCommand({}));
for (const b of s3.Buckets ?? []) say(`  AWS S3 ${b.Name}`);

const stop = async () => {
  say('stopping…');
  await op.shutdown();
  await rig.stop();
  process.exit(allReady ? 0 : 1);
};
if (process.env.DEMO_EXIT) await stop();
console.log(`\nThe rig keeps running. In another shell:\n  export KUBECONFIG=${rig.kubeconfig}\n  ${rig.bin}/kubectl get bkp -A\n  ${rig.bin}/kubectl get deploy,svc,hpa,pdb,ingress,cronjob -n ${sdk.metadata.namespace}\nCtrl-C stops the operator and the rig.`);
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
