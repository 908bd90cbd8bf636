/**
 * The controller against the real rig: examples to Ready, spec edits followed, pruning, drift,
 * the WhatsApp singleton, zero-write no-ops, pause, invalid specs, garbage collection.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbIdentifier } from '../../src/render/ack/rds.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { example } from '../fixtures/platform.ts';
import { makeAllAvailable, terminal } from '../rig/fake-ack.ts';
import { kubectl, kubectlOk, REPO } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { useOwnRig } from '../rig/own-rig.ts';
import { waitUntil } from '../rig/wait.ts';

// a rig of its own: one test here replaces the BookingPlatform CRD, which every file relies on
const rig = useOwnRig('controller', { nodes: 3 });
const logDir = mkdtempSync(join(tmpdir(), 'operator-logs-'));
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const condition = (ns: string, name: string, type: string) => get(['bkp', name, '-n', ns]).status?.conditions?.find((c: any) => c.type === type);

/** Applies an example and drives it to Ready (playing ACK for `ack` platforms). */
async function bringUp(file: string): Promise<{ ns: string; name: string }> {
  const p = example(file);
  const ns = p.metadata.namespace!;
  kubectl(rig, ['create', 'namespace', ns]);
  kubectlOk(rig, ['apply', '--server-side', '-f', `${REPO}/examples/${file}`]);
  await waitUntil(`${ns}/${p.metadata.name} Ready`, () => {
    if (p.spec.provisioner === 'ack') makeAllAvailable(rig, ns);
    return condition(ns, p.metadata.name, 'Ready')?.status === 'True';
  }, 90_000, 500);
  return { ns, name: p.metadata.name };
}

let op: OperatorProcess;
beforeAll(async () => {
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'controller-test', env: { LEASE_NAME: 'controller-test' }, logDir });
});
afterAll(async () => {
  await op?.stop();
});

describe('examples', () => {
  it.each(['local-external.yaml', 'production-postgres.yaml', 'aurora-serverless.yaml', 'mysql-uploads.yaml'])('%s becomes Ready with every child owned by the platform', async (file) => {
    const { ns, name } = await bringUp(file);
    const r = kubectl(rig, ['wait', '--for=condition=Ready', `bkp/${name}`, '-n', ns, '--timeout=10s']);
    expect(r.code, r.stderr).toBe(0);
    const platform = get(['bkp', name, '-n', ns]);
    expect(platform.status.observedGeneration).toBe(platform.metadata.generation);
    expect(platform.status.phase).toBe('Ready');
    const deployments = get(['deployments', '-n', ns, '-l', `platform.booking.io/name=${name}`]).items;
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      expect(d.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'BookingPlatform', name, uid: platform.metadata.uid, controller: true })]);
      expect(d.status.availableReplicas).toBeGreaterThanOrEqual(1);
    }
    const secret = get(['secret', `${name}-connection`, '-n', ns]);
    expect(Object.keys(secret.data)).toEqual(expect.arrayContaining(['DATABASE_URL', 'DB_HOST', 'DB_PASSWORD']));
    // the password is in Secrets only, never in status
    expect(JSON.stringify(platform.status)).not.toContain(Buffer.from(secret.data.DB_PASSWORD, 'base64').toString());
  });
});

describe('following the spec', () => {
  const ns = 'acme';
  const patch = (p: object) => kubectlOk(rig, ['patch', 'bkp', 'acme', '-n', ns, '--type=merge', '-p', JSON.stringify(p)]);

  it('rolls a new image, new replica bounds and a shorter MCP list out; prunes what was removed', async () => {
    const before = get(['bkp', 'acme', '-n', ns]).spec;
    const mcp = before.mcpServers.filter((m: any) => m.name !== 'booking-log');
    patch({ spec: { backend: { image: 'registry.example/backend:9.9.9', autoscaling: { minReplicas: 2, maxReplicas: 5 } }, mcpServers: mcp } });
    await waitUntil('backend image', () => get(['deployment', 'acme-backend', '-n', ns]).spec.template.spec.containers[0].image === 'registry.example/backend:9.9.9');
    expect(get(['hpa', 'acme-backend', '-n', ns]).spec.maxReplicas).toBe(5);
    await waitUntil('booking-log pruned', () => kubectl(rig, ['get', 'deployment', 'acme-mcp-booking-log', '-n', ns, '-o', 'name']).code !== 0 && kubectl(rig, ['get', 'service', 'acme-mcp-booking-log', '-n', ns, '-o', 'name']).code !== 0);
    expect(kubectl(rig, ['get', 'deployment', 'acme-mcp-calendar', '-n', ns, '-o', 'name']).code).toBe(0);
    await waitUntil('Ready again', () => condition(ns, 'acme', 'Ready')?.status === 'True' && get(['bkp', 'acme', '-n', ns]).status.observedGeneration === get(['bkp', 'acme', '-n', ns]).metadata.generation);
  });

  it('restores a deleted child and a child edited by someone else', async () => {
    const uid = get(['service', 'acme-backend', '-n', ns]).metadata.uid;
    kubectlOk(rig, ['delete', 'service', 'acme-backend', '-n', ns]);
    await waitUntil('service recreated', () => {
      const r = kubectl(rig, ['get', 'service', 'acme-backend', '-n', ns, '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout).metadata.uid !== uid;
    }, 20_000);
    kubectlOk(rig, ['set', 'image', 'deployment/acme-admin', '-n', ns, 'admin=evil:latest']);
    await waitUntil('image restored', () => get(['deployment', 'acme-admin', '-n', ns]).spec.template.spec.containers[0].image.endsWith('/admin:1.0.0'), 20_000);
    expect(await op.metric('booking_operator_drift_corrected_total')).toBeGreaterThanOrEqual(1);
  });

  it('makes zero writes on a no-op reconcile, quantities written in non-canonical forms included', async () => {
    // the apiserver stores 1000m as 1, 1024Mi as 1Gi and 2 as "2": still no drift on the next pass
    patch({ spec: { admin: { resources: { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: 2, memory: '1024Mi' } } } } });
    await waitUntil('admin resources applied', () => JSON.stringify(get(['deployment', 'acme-admin', '-n', ns]).spec.template.spec.containers[0].resources) === JSON.stringify({ limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }));
    // what the operator owns of every object: its field manager's entries change only when it writes
    // (status churn by other controllers changes resourceVersions, not these)
    const OWNED = 'deployments,statefulsets,services,serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,networkpolicies,cronjobs,jobs,persistentvolumeclaims,secrets,ingresses,dbinstances.rds.services.k8s.aws,dbsubnetgroups.rds.services.k8s.aws,replicationgroups.elasticache.services.k8s.aws,cachesubnetgroups.elasticache.services.k8s.aws,filesystems.efs.services.k8s.aws,mounttargets.efs.services.k8s.aws,accesspoints.efs.services.k8s.aws,buckets.s3.services.k8s.aws';
    const ours = (o: any) => JSON.stringify((o.metadata.managedFields ?? []).filter((m: any) => m.manager === 'booking-operator'));
    const versions = () => {
      const items = get([OWNED, '-n', ns, '-l', 'platform.booking.io/name=acme', '--show-managed-fields']).items as any[];
      return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.name}`, ours(o)]));
    };
    const platformWrites = () => ours(get(['bkp', 'acme', '-n', ns, '--show-managed-fields']));
    const events = () => get(['events', '-n', ns, '--field-selector', 'involvedObject.kind=BookingPlatform']).items.length;
    await waitUntil('Ready', () => condition(ns, 'acme', 'Ready')?.status === 'True');
    // settled: the previous test's rollout has finished writing
    const applied = () => op.metric('booking_operator_objects_applied_total');
    await waitUntil('settled', async () => {
      const a = platformWrites() + JSON.stringify(versions()) + (await applied());
      await new Promise((r) => setTimeout(r, 2000));
      return a === platformWrites() + JSON.stringify(versions()) + (await applied());
    }, 60_000, 0);
    const appliedBefore = await applied();
    const reconciles = await op.metric('controller_runtime_reconcile_total');
    // an annotation change makes the platform reconcile without changing what it wants
    kubectlOk(rig, ['annotate', 'bkp', 'acme', '-n', ns, `test.booking.io/poke=${Date.now()}`, '--overwrite']);
    const platformBefore = platformWrites();
    const before = versions();
    const eventsBefore = events();
    expect(Object.keys(before).length).toBeGreaterThan(20);
    await waitUntil('a reconcile ran', async () => (await op.metric('controller_runtime_reconcile_total')) > reconciles, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(versions()).toEqual(before);
    expect(platformWrites()).toBe(platformBefore); // no status or finalizer write
    expect(events()).toBe(eventsBefore);
    // and not even a redundant apply request: every object was judged up to date
    expect(await applied()).toBe(appliedBefore);
  });

  it('keeps the WhatsApp gateway a singleton across an image update', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(rig.kubeconfig);
    const live = new Set<string>();
    let max = 0;
    const ctrl = await new Watch(kc).watch(`/api/v1/namespaces/${ns}/pods`, { labelSelector: 'app.kubernetes.io/name=whatsapp' }, (type, pod) => {
      if (type === 'DELETED') live.delete(pod.metadata.name);
      else live.add(pod.metadata.name);
      max = Math.max(max, live.size);
    }, () => {});
    try {
      await waitUntil('the watch listed the gateway', () => live.size > 0, 10_000, 50);
      expect(live.size).toBe(1);
      patch({ spec: { whatsapp: { image: 'registry.example/wa:2.2.0' } } });
      await waitUntil('new gateway pod running', () => {
        const pods = get(['pods', '-n', ns, '-l', 'app.kubernetes.io/name=whatsapp']).items;
        return pods.length === 1 && pods[0].spec.containers[0].image === 'registry.example/wa:2.2.0' && pods[0].status.phase === 'Running';
      });
    } finally {
      ctrl.abort();
    }
    expect(max).toBe(1);
    const d = get(['statefulset', 'acme-whatsapp', '-n', ns]);
    expect(d.spec.template.spec.volumes).toContainEqual({ name: 'auth-info', persistentVolumeClaim: { claimName: 'acme-whatsapp-auth' } });
    expect(get(['pvc', 'acme-whatsapp-auth', '-n', ns]).status.phase).toBe('Bound');
  });

  it('makes no changes while paused', async () => {
    patch({ spec: { paused: true } });
    await waitUntil('Paused', () => get(['bkp', 'acme', '-n', ns]).status.phase === 'Paused');
    kubectlOk(rig, ['delete', 'service', 'acme-admin', '-n', ns]);
    await new Promise((r) => setTimeout(r, 3000));
    expect(kubectl(rig, ['get', 'service', 'acme-admin', '-n', ns, '-o', 'name']).code).not.toBe(0);
    patch({ spec: { paused: false } });
    await waitUntil('service back after unpause', () => kubectl(rig, ['get', 'service', 'acme-admin', '-n', ns, '-o', 'name']).code === 0, 20_000);
  });

  it('quotes an ACK Terminal condition in status and reports Stalled', async () => {
    terminal(rig, ns, 'DBInstance', dbIdentifier(example('production-postgres.yaml')), 'InvalidParameterCombination: db.t3.micro does not support Multi-AZ');
    await waitUntil('Stalled', () => condition(ns, 'acme', 'Stalled')?.status === 'True');
    expect(condition(ns, 'acme', 'DatabaseReady')).toMatchObject({ status: 'False', reason: 'ACKTerminal', message: `DBInstance ${dbIdentifier(example('production-postgres.yaml'))}: InvalidParameterCombination: db.t3.micro does not support Multi-AZ` });
    expect(condition(ns, 'acme', 'Ready')).toMatchObject({ status: 'False', reason: 'DatabaseNotReady' });
    expect(get(['bkp', 'acme', '-n', ns]).status.phase).toBe('Failed');
    makeAllAvailable(rig, ns);
    await waitUntil('Ready after the fix', () => condition(ns, 'acme', 'Ready')?.status === 'True');
  });
});

describe('switching a workload to autoscaling', () => {
  it('hands spec.replicas over to the HPA: 3 replicas stay 3 throughout, then the HPA alone sets them', async () => {
    const ns = 'handover';
    const platform = (service: object) => ({
      apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'ho', namespace: ns },
      spec: { provisioner: 'external', backend: { image: 'b:1' }, services: [{ name: 'chat', image: 'c:1', port: 8000, replicas: 3, ...service }] },
    });
    const deployment = () => get(['deployment', 'ho-chat', '-n', ns, '--show-managed-fields']);
    const replicasOwners = () => (deployment().metadata.managedFields as any[]).filter((m) => m.fieldsV1?.['f:spec']?.['f:replicas']).map((m) => m.manager);
    kubectl(rig, ['create', 'namespace', ns]);
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform({})));
    await waitUntil('3 replicas available', () => kubectl(rig, ['get', 'deployment', 'ho-chat', '-n', ns, '-o', 'name']).code === 0 && deployment().status.availableReplicas === 3);
    expect(replicasOwners()).toEqual(['booking-operator']);

    // every value spec.replicas takes from here on
    const kc = new KubeConfig();
    kc.loadFromFile(rig.kubeconfig);
    const seen: number[] = [];
    const ctrl = await new Watch(kc).watch(`/apis/apps/v1/namespaces/${ns}/deployments`, { fieldSelector: 'metadata.name=ho-chat' }, (_type, d) => seen.push(d.spec.replicas), () => {});
    try {
      await waitUntil('watch started', () => seen.length > 0);
      kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform({ autoscaling: { minReplicas: 2, maxReplicas: 6 } })));
      await waitUntil('HPA created and replicas let go of', () => kubectl(rig, ['get', 'hpa', 'ho-chat', '-n', ns, '-o', 'name']).code === 0 && !replicasOwners().includes('booking-operator'), 30_000);
      // the controller-manager's HPA controller has looked at it (no metrics here, so it holds at 3)
      await waitUntil('HPA controller ran', () => get(['hpa', 'ho-chat', '-n', ns]).status?.conditions?.length > 0, 60_000);
      expect(deployment().spec.replicas).toBe(3);
      // the HPA owns spec.replicas now: a higher minimum scales up, and our passes leave its value alone
      kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform({ autoscaling: { minReplicas: 4, maxReplicas: 6 } })));
      await waitUntil('HPA scaled to its new minimum', () => deployment().spec.replicas === 4, 90_000);
      const reconciles = await op.metric('controller_runtime_reconcile_total');
      kubectlOk(rig, ['annotate', 'bkp', 'ho', '-n', ns, `test.booking.io/poke=${Date.now()}`, '--overwrite']);
      await waitUntil('a reconcile ran', async () => (await op.metric('controller_runtime_reconcile_total')) > reconciles, 20_000);
      await waitUntil('4 replicas available', () => deployment().status.availableReplicas === 4);
    } finally {
      ctrl.abort();
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(3);
    expect(deployment().spec.replicas).toBe(4);
    expect(replicasOwners()).not.toContain('booking-operator');
    kubectl(rig, ['delete', 'bkp', 'ho', '-n', ns, '--wait=false']);
  });
});

describe('bad input and deletion', () => {
  it('ends an invalid spec that slipped past the CRD as Stalled, without retries or damage', async () => {
    const crdPath = `${REPO}/crds/platform.booking.io_bookingplatforms.yaml`;
    const crd = get(['crd', 'bookingplatforms.platform.booking.io']);
    const loose = structuredClone(crd);
    delete loose.metadata.resourceVersion;
    delete loose.metadata.managedFields;
    delete loose.status;
    loose.spec.versions[0].schema.openAPIV3Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    kubectl(rig, ['create', 'namespace', 'invalid']);
    try {
      kubectlOk(rig, ['replace', '-f', '-'], JSON.stringify(loose));
      await waitUntil('loose CRD served', () => kubectl(rig, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(badPlatform())).code === 0, 20_000);
      kubectlOk(rig, ['apply', '-f', '-'], JSON.stringify(badPlatform()));
    } finally {
      kubectlOk(rig, ['apply', '--server-side', '--force-conflicts', '-f', crdPath]);
    }
    await waitUntil('Stalled', () => condition('invalid', 'bad', 'Stalled')?.status === 'True');
    expect(condition('invalid', 'bad', 'Stalled').reason).toBe('InvalidSpec');
    expect(condition('invalid', 'bad', 'Stalled').message).toContain('spec.backend.autoscaling: maxReplicas must be greater than or equal to minReplicas');
    const errors = await op.metric('controller_runtime_reconcile_errors_total');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await op.metric('controller_runtime_reconcile_errors_total')).toBe(errors);
    expect(get(['deployments', '-n', 'invalid']).items).toEqual([]);
  });

  it('garbage-collects the workloads of a deleted platform', async () => {
    const rendered = renderPlatform(example('local-external.yaml')).filter((o) => o.kind === 'Deployment');
    expect(get(['deployments', '-n', 'dev', '-l', 'platform.booking.io/name=dev']).items).toHaveLength(rendered.length);
    kubectlOk(rig, ['delete', 'bkp', 'dev', '-n', 'dev', '--wait=true', '--timeout=60s']);
    await waitUntil('children gone', () => get(['deployments,services,secrets', '-n', 'dev', '-l', 'platform.booking.io/name=dev']).items.length === 0, 60_000);
  });
});

function badPlatform() {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name: 'bad', namespace: 'invalid' },
    spec: { provisioner: 'external', backend: { image: 'b:1', autoscaling: { minReplicas: 5, maxReplicas: 2 } } },
  };
}

describe('what reaches the apiserver', () => {
  it('is the rendered object field for field (NetworkPolicy peers survive serialization)', async () => {
    kubectl(rig, ['create', 'namespace', 'np-check']);
    const platform = { apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', metadata: { name: 'npcheck', namespace: 'np-check' }, spec: { provisioner: 'external', backend: { image: 'b:1' } } };
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], JSON.stringify(platform));
    await waitUntil('internal policy applied', () => kubectl(rig, ['get', 'networkpolicy', 'npcheck-internal', '-n', 'np-check', '-o', 'name']).code === 0);
    const np = get(['networkpolicy', 'npcheck-internal', '-n', 'np-check']);
    expect(np.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'npcheck', 'app.kubernetes.io/part-of': 'booking-platform' } } }] }]);
  });
});
