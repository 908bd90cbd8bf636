/**
 * The WhatsApp gateway (Baileys): at most one, ever — two sessions on one account (and one session
 * directory) must never run. A StatefulSet of one (workload.ts `singletonSet`): its pod is
 * replaced only once the old one is gone from the apiserver, through rollouts and node loss alike
 * (an evicted pod on an unreachable node holds the name until the node is deleted or tainted
 * `out-of-service`). No HPA, no PDB. Its session state lives at /app/auth_info on the platform's
 * own claim (an EFS access point), not a volumeClaimTemplate, so it survives restarts, moves
 * between nodes and is the same claim a Deployment of earlier builds mounted.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { childName, labels, whatsappClaimName, whatsappVolumeName, type RenderContext } from './names.ts';
import { workload } from './workload.ts';

export const AUTH_STATE_PATH = '/app/auth_info';
export const EFS_CSI_DRIVER = 'efs.csi.aws.com';

export function whatsapp(chart: Chart, p: BookingPlatform, facts: Facts, ctx: RenderContext): void {
  const wa = p.spec.whatsapp;
  // validation requires the image of an enabled gateway (a disabled one may omit it)
  if (!wa?.enabled || wa.image === undefined) return;
  const size = k8s.Quantity.fromString(String(wa.authStorage.size));
  const meta = { labels: labels(p, 'whatsapp', 'gateway') };
  const onEfs = usesEfs(p);

  if (onEfs && facts.fileSystemId) {
    new k8s.KubePersistentVolume(chart, 'whatsapp-pv', {
      metadata: { name: whatsappVolumeName(p, ctx), ...meta },
      spec: {
        capacity: { storage: size },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        volumeMode: 'Filesystem',
        mountOptions: ['tls'],
        csi: {
          driver: EFS_CSI_DRIVER,
          volumeHandle: facts.accessPointId ? `${facts.fileSystemId}::${facts.accessPointId}` : facts.fileSystemId,
        },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: p.metadata.namespace ?? 'default', name: whatsappClaimName(p) },
      },
    });
  }

  new k8s.KubePersistentVolumeClaim(chart, 'whatsapp-pvc', {
    metadata: { name: whatsappClaimName(p), ...meta },
    spec: onEfs
      ? { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: whatsappVolumeName(p, ctx), resources: { requests: { storage: size } } }
      : {
          accessModes: ['ReadWriteOnce'],
          ...(wa.authStorage.storageClassName ? { storageClassName: wa.authStorage.storageClassName } : {}),
          resources: { requests: { storage: size } },
        },
  });

  workload(chart, p, facts, {
    component: 'whatsapp',
    role: 'gateway',
    image: wa.image,
    port: wa.port,
    singleton: true,
    resources: wa.resources,
    env: [{ name: 'BACKEND_URL', value: `http://${childName(p, 'backend')}:${p.spec.backend.port}` }, ...(wa.env ?? [])],
    iamRoleArn: wa.iamRoleArn,
    connection: false,
    volumes: [{ name: 'auth-info', persistentVolumeClaim: { claimName: whatsappClaimName(p) } }],
    volumeMounts: [{ name: 'auth-info', mountPath: AUTH_STATE_PATH }],
  });
}

/** Whether the session state is on EFS (created by us, or an existing file system). */
export function usesEfs(p: BookingPlatform): boolean {
  return p.spec.provisioner !== 'external' || p.spec.fileSystem?.external !== undefined;
}
