/**
 * The five seed plans' examples (examples/seed-*.yaml, mapped in docs/architecture.md) reach
 * Ready on the rig, each in its own namespace: the `ack` ones under an operator that watches only
 * their namespaces while this test plays ACK (fake-ack's makeAllAvailable), the `sdk` ones under a
 * second operator that provisions in moto. The two operators never see each other's platforms.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { motoClients, network as motoNetwork, REGION } from '../aws/moto.ts';
import { EXAMPLE_FILES, example } from '../fixtures/platform.ts';
import { makeAllAvailable } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk, REPO } from '../rig/kubectl.ts';
import { sdkOperatorEnv, startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { waitUntil } from '../rig/wait.ts';

const rig = inject('rig');
const logDir = mkdtempSync(join(tmpdir(), 'seeds-test-'));
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));

const SEEDS = EXAMPLE_FILES.filter((f) => f.startsWith('seed-')).map((file) => {
  const p = example(file);
  return { file, p, ns: p.metadata.namespace!, name: p.metadata.name };
});
const ACK = SEEDS.filter((s) => s.p.spec.provisioner === 'ack');
const SDK = SEEDS.filter((s) => s.p.spec.provisioner === 'sdk');

let ackOp: OperatorProcess;
let sdkOp: OperatorProcess;
let net: { vpcId: string; subnetIds: string[]; securityGroupIds: string[] };

beforeAll(async () => {
  for (const s of SEEDS) kubectl(rig, ['create', 'namespace', s.ns]);
  net = await motoNetwork(motoClients(rig.awsEndpoint!), '10.60.0.0/16');
  const watch = (seeds: typeof SEEDS) => ({ WATCH_NAMESPACES: seeds.map((s) => s.ns).join(',') });
  [ackOp, sdkOp] = await Promise.all([
    startOperatorProcess(rig.kubeconfig, { identity: 'seeds-ack', env: { LEASE_NAME: 'seeds-ack', ...watch(ACK) }, logDir }),
    startOperatorProcess(rig.kubeconfig, { identity: 'seeds-sdk', env: { ...sdkOperatorEnv('seeds-sdk', 'seeds-test', rig.awsEndpoint!, REGION), ...watch(SDK) }, logDir }),
  ]);
});

afterAll(async () => {
  // the rig plays no ACK deletion and moto never finishes deleting a replication group
  // (ack-real-cache.test.ts), so the seeds are let go without cleanup; deletion has its own tests
  for (const s of SEEDS) {
    kubectl(rig, ['annotate', 'bkp', s.name, '-n', s.ns, 'platform.booking.io/skip-cleanup=true']);
    kubectl(rig, ['delete', 'bkp', s.name, '-n', s.ns, '--wait=false']);
  }
  await waitUntil('seed platforms gone', () => SEEDS.every((s) => kubectl(rig, ['get', 'bkp', s.name, '-n', s.ns]).code !== 0), 60_000, 500).catch((e) => console.warn(String(e)));
  await Promise.all([ackOp?.stop(), sdkOp?.stop()]);
});

/** The example as a user applies it; sdk seeds get moto's network in place of their placeholder ids. */
function apply(seed: (typeof SEEDS)[number]): void {
  if (seed.p.spec.provisioner !== 'sdk') return void kubectlOk(rig, ['apply', '--server-side', '-f', `${REPO}/examples/${seed.file}`]);
  const doc = parse(readFileSync(`${REPO}/examples/${seed.file}`, 'utf8'));
  doc.spec.aws = { ...doc.spec.aws, region: REGION, subnetIds: net.subnetIds, securityGroupIds: net.securityGroupIds };
  kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(doc));
}

describe('the seed plans on EKS', () => {
  it('has one example per seed plan, three through ACK and two through the SDK', () => {
    expect(SEEDS.map((s) => s.file).sort()).toEqual(['seed-apprunner-mysql.yaml', 'seed-appsync-cognito.yaml', 'seed-ecs-fargate.yaml', 'seed-sst-aurora.yaml', 'seed-websocket-bedrock.yaml']);
    expect(new Set(SEEDS.map((s) => s.ns)).size).toBe(SEEDS.length);
    expect([ACK.length, SDK.length]).toEqual([3, 2]);
  });

  it.concurrent.each(SEEDS.map((s) => [s.file, s] as const))('%s becomes Ready with every workload available and owned', async (_file, seed) => {
    const { ns, name, p } = seed;
    apply(seed);
    await waitUntil(`${ns}/${name} Ready`, () => {
      if (p.spec.provisioner === 'ack') makeAllAvailable(rig, ns);
      return get(['bkp', name, '-n', ns]).status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    }, 150_000, 1000);

    const platform = get(['bkp', name, '-n', ns]);
    expect(platform.status.phase).toBe('Ready');
    expect(platform.status.observedGeneration).toBe(platform.metadata.generation);
    expect(platform.status.components.filter((c: any) => !c.ready)).toEqual([]);

    // every workload the plan names runs: backend, admin, MCP servers, further services, the gateway
    const wanted = [
      `${name}-backend`,
      ...(p.spec.admin ? [`${name}-admin`] : []),
      ...(p.spec.mcpServers ?? []).filter((m) => m.enabled).map((m) => `${name}-mcp-${m.name}`),
      ...(p.spec.services ?? []).filter((s) => s.enabled).map((s) => `${name}-${s.name}`),
    ];
    const deployments = get(['deployments', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(wanted.sort());
    const sets = get(['statefulsets', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items as any[];
    expect(sets.map((s) => s.metadata.name)).toEqual(p.spec.whatsapp?.enabled ? [`${name}-whatsapp`] : []);
    for (const w of [...deployments, ...sets]) {
      expect(w.metadata.ownerReferences, w.metadata.name).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name, uid: platform.metadata.uid, controller: true })]);
      expect(w.status.readyReplicas ?? 0, w.metadata.name).toBeGreaterThanOrEqual(1);
    }

    // the connection Secret carries what the plan's data tier gives the apps, and nothing more
    const data = get(['secret', `${name}-connection`, '-n', ns]).data as Record<string, string>;
    const keys = [
      ...(p.spec.database ? ['DATABASE_URL', 'DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_PORT', 'DB_USER'] : []),
      ...(p.spec.cache ? ['REDIS_URL'] : []),
      ...(p.spec.uploads?.enabled ? ['AWS_REGION', 'UPLOADS_BUCKET'] : []),
    ];
    expect(Object.keys(data).sort()).toEqual(keys.sort());

    // the generated master password is in Secrets only: not in status, Events or either operator's log
    if (data.DB_PASSWORD) {
      const password = Buffer.from(data.DB_PASSWORD, 'base64').toString();
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(JSON.stringify(platform.status)).not.toContain(password);
      expect(kubectlOk(rig, ['get', 'events', '-n', ns, '-o', 'json'])).not.toContain(password);
      for (const op of [ackOp, sdkOp]) expect(readFileSync(op.log, 'utf8')).not.toContain(password);
    }
  });
});
