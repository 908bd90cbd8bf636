import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withProvisioner, withWhatsapp } from '../../test/fixtures/platform.ts';
import { renderPlatform } from './index.ts';
import { DEFAULT_CONTEXT, whatsappVolumeName } from './names.ts';

describe('whatsapp gateway', () => {
  const p = platform('acme', withWhatsapp());
  const objects = renderPlatform(p, { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456' });
  const set_ = find(objects, 'StatefulSet', 'acme-whatsapp');

  it('is at most one, even when its node is lost: a StatefulSet of one (never a Deployment), no HPA, no PDB', () => {
    // a Deployment replaces a pod as soon as it is Terminating; a StatefulSet waits until it is gone
    expect(ofKind(objects, 'Deployment').map((d) => d.metadata.name)).not.toContain('acme-whatsapp');
    expect(set_.spec).toMatchObject({ replicas: 1, serviceName: 'acme-whatsapp', podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate' } });
    expect(set_.spec.updateStrategy.rollingUpdate).toBeUndefined(); // no partition, no maxUnavailable > 1
    expect(set_.spec.selector.matchLabels).toEqual(find(objects, 'Service', 'acme-whatsapp').spec.selector);
    expect(ofKind(objects, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name)).not.toContain('acme-whatsapp');
    expect(ofKind(objects, 'PodDisruptionBudget').map((x) => x.metadata.name)).not.toContain('acme-whatsapp');
  });

  it('mounts the platform\'s own claim, not a volumeClaimTemplate: the session stays where an earlier Deployment kept it', () => {
    expect(set_.spec.volumeClaimTemplates).toBeUndefined();
    expect(set_.spec.template.spec.volumes).toContainEqual({ name: 'auth-info', persistentVolumeClaim: { claimName: 'acme-whatsapp-auth' } });
  });

  it('keeps /app/auth_info on the EFS access point', () => {
    const pod = set_.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'auth-info', mountPath: '/app/auth_info' });
    expect(pod.volumes).toContainEqual({ name: 'auth-info', persistentVolumeClaim: { claimName: 'acme-whatsapp-auth' } });
    const pvc = find(objects, 'PersistentVolumeClaim', 'acme-whatsapp-auth');
    expect(pvc.spec).toMatchObject({ storageClassName: '', volumeName: whatsappVolumeName(platform('acme'), DEFAULT_CONTEXT), accessModes: ['ReadWriteMany'] });
    const pv = find(objects, 'PersistentVolume', whatsappVolumeName(platform('acme'), DEFAULT_CONTEXT));
    expect(pv.metadata.namespace).toBeUndefined();
    expect(pv.spec.csi).toEqual({ driver: 'efs.csi.aws.com', volumeHandle: 'fs-0123::fsap-0456' });
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(pv.spec.claimRef).toMatchObject({ namespace: 'acme', name: 'acme-whatsapp-auth' });
  });

  it('waits for the file system before rendering its volume', () => {
    expect(ofKind(renderPlatform(p), 'PersistentVolume')).toEqual([]);
  });

  it('uses a StorageClass on a laptop cluster (external, no EFS)', () => {
    const local = platform('dev', withProvisioner('external'), withWhatsapp({ authStorage: { storageClassName: 'standard' } }));
    const objects = renderPlatform(local);
    expect(ofKind(objects, 'PersistentVolume')).toEqual([]);
    expect(find(objects, 'PersistentVolumeClaim', 'dev-whatsapp-auth').spec).toMatchObject({ storageClassName: 'standard', accessModes: ['ReadWriteOnce'] });
  });

  it('renders nothing when disabled', () => {
    const off = renderPlatform(platform('acme', withWhatsapp({ enabled: false })));
    expect(off.filter((o) => o.metadata.name.includes('whatsapp'))).toEqual([]);
    expect(renderPlatform(platform('acme', set('whatsapp', undefined))).filter((o) => o.metadata.name.includes('whatsapp'))).toEqual([]);
  });
});
