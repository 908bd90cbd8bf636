/**
 * The WhatsApp gateway is at most one, even when its node is lost (two Baileys sessions on one
 * account and one session directory must never run). On the rig: the gateway's node has a kwok
 * of its own, which the test stops; the node controller marks the node unreachable and evicts the
 * pod, which then stays Terminating (nothing confirms it stopped). A watch on the gateway's pods
 * records every pod object from the first to the last; at no moment may two exist. Recovery
 * follows the documented paths: the `out-of-service` taint, or deleting the node.
 *
 * The second case is the upgrade from the builds that ran the gateway as a Deployment: the
 * operator deletes the Deployment in the foreground and creates the StatefulSet only once the old
 * pod is gone — here, the old pod sits on a lost node, so that takes until the node is deleted.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startLoneNode, type LoneNode } from '../../../scripts/rig/rig.ts';
import { parsePlatform } from '../../src/api/platform.ts';
import { prepare } from '../../src/controller/apply.ts';
import { renderPlatform } from '../../src/render/index.ts';
import { kubectl, kubectlOk } from '../rig/kubectl.ts';
import { startOperatorProcess, type OperatorProcess } from '../rig/operator-process.ts';
import { useOwnRig } from '../rig/own-rig.ts';
import { waitUntil } from '../rig/wait.ts';

// a rig of its own: these tests cordon every node and lose nodes, which files running beside them
// would feel; there a node is unreachable 20 s after its last heartbeat (50 s by default) and its
// pods are evicted 5 s later (15 s on the shared rig); its platforms need no ACK or ESO kind
const rig = useOwnRig('whatsapp-singleton', { nodes: 3, nodeMonitorGracePeriodSeconds: 20, unreachableTolerationSeconds: 5, crds: 'project' });
const logDir = mkdtempSync(join(tmpdir(), 'whatsapp-singleton-'));
const get = (args: string[]) => JSON.parse(kubectlOk(rig, ['get', ...args, '-o', 'json']));
const condition = (ns: string, name: string, type: string) => get(['bkp', name, '-n', ns]).status?.conditions?.find((c: any) => c.type === type);
const GATEWAY = 'app.kubernetes.io/name=whatsapp';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small platform: backend and gateway, no AWS; the session claim binds to one of the rig's volumes. */
function platformManifest(ns: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name, namespace: ns },
    spec: {
      environment: 'dev',
      provisioner: 'external',
      backend: { image: 'registry.example/backend:1.0.0', autoscaling: { minReplicas: 1, maxReplicas: 1 } },
      whatsapp: { image: 'registry.example/wa:1.0.0', authStorage: { storageClassName: 'standard' } },
      networkPolicy: { enabled: false },
      ...extra,
    },
  };
}

/**
 * Every gateway pod object seen, from the watch's first event: `max` is the most that existed at
 * once (a pod exists until its DELETED event, Terminating included). A watch the server or the
 * client closes is resumed from the last resourceVersion seen, so no event is missed; one that
 * cannot be resumed (410 Gone) is reported by `complete()`.
 */
async function trackGatewayPods(ns: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(rig.kubeconfig);
  const present = new Map<string, any>();
  const timeline: string[] = [];
  let max = 0;
  let lastVersion: string | undefined;
  let lost: string | undefined;
  let stopped = false;
  let ctrl: AbortController | undefined;
  // the client gives up on a watch quiet for 30 s (no pod changes is the point of some checks)
  const watch = new Watch(kc);
  const start = async (): Promise<void> => {
    ctrl = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: GATEWAY, allowWatchBookmarks: true, ...(lastVersion ? { resourceVersion: lastVersion } : {}) },
      (type, pod: any) => {
        if (type === 'ERROR') {
          lost = `watch error: ${JSON.stringify(pod)}`;
          return;
        }
        lastVersion = pod.metadata.resourceVersion;
        if (type === 'BOOKMARK') return;
        if (type === 'DELETED') present.delete(pod.metadata.uid);
        else present.set(pod.metadata.uid, pod);
        max = Math.max(max, present.size);
        timeline.push(`${type} ${pod.metadata.name} uid=${pod.metadata.uid.slice(0, 8)} node=${pod.spec.nodeName ?? '-'} phase=${pod.status?.phase} terminating=${Boolean(pod.metadata.deletionTimestamp)} (${present.size} present)`);
      },
      () => {
        if (!stopped && !lost) void start().catch((err) => (lost = String(err)));
      },
    );
  };
  await start();
  return {
    get max() {
      return max;
    },
    pods: () => [...present.values()],
    report: () => timeline.join('\n'),
    stop() {
      stopped = true;
      ctrl?.abort();
    },
    /** The watch saw the whole story. */
    complete() {
      expect(lost, 'the pod watch was lost').toBeUndefined();
    },
  };
}

/** The rig's shared nodes (not the lone ones) are cordoned while `fn` runs, so new pods land on the lone node. */
async function onlyOn<T>(fn: () => Promise<T>): Promise<T> {
  const shared = (get(['nodes']).items as any[]).filter((n) => n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake').map((n) => n.metadata.name as string);
  for (const n of shared) kubectlOk(rig, ['cordon', n]);
  try {
    return await fn();
  } finally {
    for (const n of shared) kubectlOk(rig, ['uncordon', n]);
  }
}

const runningOn = (ns: string, node: string) => () => {
  const pods = get(['pods', '-n', ns, '-l', GATEWAY]).items as any[];
  return pods.length === 1 && pods[0].spec.nodeName === node && pods[0].status.phase === 'Running' ? pods[0] : undefined;
};
/** The one gateway pod, Running, when it is not the pod `uid` (the replacement has started). */
const replacementRunning = (ns: string, uid: string) => () => {
  const pods = get(['pods', '-n', ns, '-l', GATEWAY]).items as any[];
  return pods.length === 1 && pods[0].metadata.uid !== uid && pods[0].status.phase === 'Running' ? pods[0] : undefined;
};

/** The replacement mounts the session claim the first pod had: the same claim object, not a new one. */
function expectSameSession(ns: string, pod: any, claim: any): void {
  expect(pod.spec.volumes).toContainEqual({ name: 'auth-info', persistentVolumeClaim: { claimName: claim.metadata.name } });
  expect(get(['pvc', claim.metadata.name, '-n', ns]).metadata.uid).toBe(claim.metadata.uid);
}

/** Ends a gateway pod watch: there never were two gateway pods at once. */
function neverTwo(ns: string, pods: { complete(): void; report(): string; max: number }): void {
  pods.complete();
  console.log(`[whatsapp-singleton] ${ns}: gateway pods as watched\n${pods.report()}`);
  expect(pods.max, pods.report()).toBe(1);
}

let op: OperatorProcess;
const lone: LoneNode[] = [];
beforeAll(async () => {
  op = await startOperatorProcess(rig.kubeconfig, { identity: 'whatsapp-singleton', env: { LEASE_NAME: 'whatsapp-singleton', WATCH_NAMESPACES: 'wa-lost,wa-move' }, logDir });
});
afterAll(async () => {
  await op?.stop();
  for (const n of lone) {
    await n.stop();
    kubectl(rig, ['delete', 'node', n.name, '--ignore-not-found', '--wait=false']);
  }
});

describe('the WhatsApp gateway when its node is lost', () => {
  it('never runs a second gateway while the first is not gone; the out-of-service taint recovers it onto another node with the same session claim', async () => {
    const ns = 'wa-lost';
    kubectl(rig, ['create', 'namespace', ns]);
    const node = await startLoneNode(rig, 'wa-lost-node', { logDir });
    lone.push(node);
    const pods = await trackGatewayPods(ns);
    try {
      const first = await onlyOn(async () => {
        kubectlOk(rig, ['apply', '--server-side', '-f', '-'], stringify(platformManifest(ns, 'gw')));
        return waitUntil('the gateway running on the lone node', runningOn(ns, node.name), 90_000, 500);
      });
      await waitUntil('platform Ready', () => condition(ns, 'gw', 'Ready')?.status === 'True', 60_000, 500);
      const claim = get(['pvc', 'gw-whatsapp-auth', '-n', ns]);
      expect(first.spec.volumes).toContainEqual({ name: 'auth-info', persistentVolumeClaim: { claimName: 'gw-whatsapp-auth' } });

      // the node is lost: nothing renews its Lease or confirms its pods stopped
      await node.stop();
      await waitUntil(
        'the node tainted unreachable',
        () => (get(['node', node.name]).spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'),
        180_000,
        1000,
      );
      await waitUntil('the gateway evicted (Terminating)', () => get(['pod', first.metadata.name, '-n', ns]).metadata.deletionTimestamp, 120_000, 500);
      // a Deployment's ReplicaSet starts the replacement within a second of the eviction; give it many
      await sleep(15_000);
      expect(pods.max, pods.report()).toBe(1);
      expect(pods.pods().map((p) => p.metadata.uid)).toEqual([first.metadata.uid]);
      expect(condition(ns, 'gw', 'WorkloadsReady')).toMatchObject({ status: 'False', message: expect.stringContaining('gw-whatsapp') });

      // the documented recovery: the node is known to be down, mark it out of service
      kubectlOk(rig, ['taint', 'node', node.name, 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute']);
      const second = await waitUntil('a new gateway running on another node', replacementRunning(ns, first.metadata.uid), 120_000, 500);
      expect(second.spec.nodeName).not.toBe(node.name);
      expectSameSession(ns, second, claim);
      await waitUntil('platform Ready again', () => condition(ns, 'gw', 'Ready')?.status === 'True', 60_000, 500);
    } finally {
      pods.stop();
    }
    neverTwo(ns, pods);
  }, 480_000);
});

describe('upgrading a platform whose gateway is a Deployment', () => {
  it('deletes the Deployment in the foreground and creates the StatefulSet only once the old pod is gone, even when that pod is on a lost node', async () => {
    const ns = 'wa-move';
    kubectl(rig, ['create', 'namespace', ns]);
    const node = await startLoneNode(rig, 'wa-move-node', { logDir, zone: 'us-east-1b' });
    lone.push(node);

    // the state an earlier build left: the same objects, the gateway a Deployment (Recreate)
    const manifest = platformManifest(ns, 'mv', { paused: true });
    kubectlOk(rig, ['apply', '--server-side', '-f', '-'], stringify(manifest));
    const uid = get(['bkp', 'mv', '-n', ns]).metadata.uid;
    const parsed = parsePlatform(manifest);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const owner = { apiVersion: 'platform.booking.io/v1alpha1', kind: 'BookingPlatform', name: 'mv', uid };
    const earlier = renderPlatform(parsed.platform).map((o) => {
      if (o.metadata.name !== 'mv-whatsapp' || (o.kind !== 'StatefulSet' && o.kind !== 'Deployment')) return o;
      const spec = o.spec as any;
      return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: o.metadata, spec: { replicas: 1, revisionHistoryLimit: 5, selector: spec.selector, strategy: { type: 'Recreate' }, template: spec.template } };
    });
    const pods = await trackGatewayPods(ns);
    try {
      const old = await onlyOn(async () => {
        kubectlOk(rig, ['apply', '--server-side', '--field-manager=booking-operator', '-f', '-'], earlier.map((o) => stringify(prepare(o, owner))).join('---\n'));
        return waitUntil('the old gateway running on the lone node', runningOn(ns, node.name), 90_000, 500);
      });
      expect(old.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
      const claim = get(['pvc', 'mv-whatsapp-auth', '-n', ns]);

      // the old gateway's node is lost (nothing will confirm its pod stopped); then the upgrade runs
      await node.stop();
      kubectlOk(rig, ['patch', 'bkp', 'mv', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { paused: false } })]);
      await waitUntil('the Deployment deleted in the foreground', () => {
        const d = kubectl(rig, ['get', 'deployment', 'mv-whatsapp', '-n', ns, '-o', 'json']);
        return d.code === 0 && JSON.parse(d.stdout).metadata.finalizers?.includes('foregroundDeletion');
      }, 60_000, 500);
      await waitUntil('the old pod Terminating', () => get(['pod', old.metadata.name, '-n', ns]).metadata.deletionTimestamp, 60_000, 500);
      await waitUntil('status names the handover', () => /mv-whatsapp/.test(condition(ns, 'mv', 'WorkloadsReady')?.message ?? '') && condition(ns, 'mv', 'WorkloadsReady')?.status === 'False', 60_000, 500);
      // the operator has seen the old pod terminating for a while and still waits
      await sleep(10_000);
      expect(kubectl(rig, ['get', 'statefulset', 'mv-whatsapp', '-n', ns, '-o', 'name']).code, 'the StatefulSet exists while the old pod is not gone').not.toBe(0);
      expect(pods.max, pods.report()).toBe(1);

      // recovery by deleting the lost node: the pod garbage collector force-deletes its pods
      kubectlOk(rig, ['delete', 'node', node.name]);
      const next = await waitUntil('the StatefulSet pod running', replacementRunning(ns, old.metadata.uid), 180_000, 500);
      expect(next.metadata.name).toBe('mv-whatsapp-0');
      expect(next.metadata.ownerReferences[0]).toMatchObject({ kind: 'StatefulSet', name: 'mv-whatsapp' });
      expectSameSession(ns, next, claim);
      expect(kubectl(rig, ['get', 'deployment', 'mv-whatsapp', '-n', ns, '-o', 'name']).code).not.toBe(0);
      await waitUntil('platform Ready', () => condition(ns, 'mv', 'Ready')?.status === 'True', 60_000, 500);
    } finally {
      pods.stop();
    }
    neverTwo(ns, pods);
  }, 480_000);
});
