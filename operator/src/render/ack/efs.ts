/**
 * EFS through ACK: a FileSystem, one MountTarget per subnet, and the WhatsApp AccessPoint
 * (its own root directory, owned by the container user).
 */
import type { Chart } from 'cdk8s';
import type { BookingPlatform } from '../../api/types.generated.ts';
import { awsName, DEFAULT_CONTEXT, type RenderContext } from '../names.ts';
import { RUN_AS_USER } from '../pod.ts';
import { ACK, ACK_DELETION_POLICY, ackDeletionPolicy, ackObject, tagList } from './common.ts';

/** Also the EFS CreationToken (at most 64). */
export const fileSystemName = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'efs', 63);
/** Also the access point's ClientToken (at most 64) and Name tag. */
export const accessPointName = (p: BookingPlatform, ctx: RenderContext = DEFAULT_CONTEXT) => awsName(p, ctx, 'whatsapp-auth', 63);
export const WHATSAPP_ROOT = '/whatsapp-auth';

export function efs(chart: Chart, p: BookingPlatform, ctx: RenderContext): void {
  const fs = p.spec.fileSystem;
  const aws = p.spec.aws;
  if (!fs || !aws || !p.spec.whatsapp?.enabled) return;
  const annotations = { [ACK_DELETION_POLICY]: ackDeletionPolicy(fs.deletionPolicy) };
  const fsName = fileSystemName(p, ctx);
  const fileSystemRef = { from: { name: fsName } };
  ackObject(chart, p, {
    apiVersion: ACK.efs,
    kind: 'FileSystem',
    name: fsName,
    component: 'filesystem',
    annotations,
    spec: {
      encrypted: fs.encrypted,
      performanceMode: fs.performanceMode,
      throughputMode: fs.throughputMode,
      backupPolicy: { status: 'ENABLED' },
      tags: [...tagList(p, ctx), { key: 'Name', value: fsName }].sort((a, b) => a.key.localeCompare(b.key)),
    },
  });
  aws.subnetIds.forEach((subnetID) => {
    ackObject(chart, p, {
      apiVersion: ACK.efs,
      kind: 'MountTarget',
      name: awsName(p, ctx, `efs-${subnetID}`, 63),
      component: 'filesystem',
      annotations,
      spec: { fileSystemRef, subnetID, securityGroups: [...aws.securityGroupIds] },
    });
  });
  ackObject(chart, p, {
    apiVersion: ACK.efs,
    kind: 'AccessPoint',
    name: accessPointName(p, ctx),
    component: 'filesystem',
    annotations,
    spec: {
      fileSystemRef,
      posixUser: { uid: RUN_AS_USER, gid: RUN_AS_USER },
      rootDirectory: { path: WHATSAPP_ROOT, creationInfo: { ownerUID: RUN_AS_USER, ownerGID: RUN_AS_USER, permissions: '0700' } },
      tags: tagList(p, ctx),
    },
  });
}
