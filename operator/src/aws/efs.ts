/**
 * EFS through the SDK, as the ACK renderer (render/ack/efs.ts): a file system (CreationToken =
 * awsName(p,'efs'), so a lost create response is found again), one mount target per subnet
 * with only the spec's security groups, and the WhatsApp access point (uid/gid 1000, its own
 * root /whatsapp-auth, 0700), found again by its ClientToken or Name tag.
 */
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  ModifyMountTargetSecurityGroupsCommand,
  type AccessPointDescription,
  type FileSystemDescription,
  type MountTargetDescription,
} from '@aws-sdk/client-efs';
import type { BookingPlatform } from '../api/types.generated.ts';
import { notReady, ready, type ServiceState } from '../data/types.ts';
import { accessPointName, fileSystemName, WHATSAPP_ROOT } from '../render/ack/efs.ts';
import { RUN_AS_USER } from '../render/pod.ts';
import { lifecycle, lifecycleState, ownedBy, sameSet, tagList, type AwsContext, type Step } from './context.ts';
import { call, callOr } from './errors.ts';

export type FileSystemState = ServiceState & { fileSystemId?: string; accessPointId?: string };

export async function describeFileSystem(ctx: AwsContext, p: BookingPlatform): Promise<FileSystemDescription | undefined> {
  const token = fileSystemName(p);
  const out = await call(`DescribeFileSystems ${token}`, () => ctx.clients.efs.send(new DescribeFileSystemsCommand({ CreationToken: token })));
  return out.FileSystems?.find((f) => f.LifeCycleState !== 'deleted');
}

async function mountTargets(ctx: AwsContext, fsId: string): Promise<MountTargetDescription[]> {
  const out = await callOr(`DescribeMountTargets ${fsId}`, () => ctx.clients.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  return out?.MountTargets ?? [];
}

export async function findAccessPoint(ctx: AwsContext, p: BookingPlatform, fsId: string): Promise<AccessPointDescription | undefined> {
  const name = accessPointName(p);
  const out = await callOr(`DescribeAccessPoints ${fsId}`, () => ctx.clients.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  return out?.AccessPoints?.find((a) => a.ClientToken === name || a.Name === name || a.Tags?.some((t) => t.Key === 'Name' && t.Value === name));
}

export async function observeFileSystem(ctx: AwsContext, p: BookingPlatform): Promise<FileSystemState> {
  const spec = p.spec.fileSystem;
  const aws = p.spec.aws!;
  const token = fileSystemName(p);
  const fs = await describeFileSystem(ctx, p);
  if (!fs) {
    ctx.log.info({ kind: 'FileSystem', id: token }, 'creating AWS resource');
    const out = await callOr(
      `CreateFileSystem ${token}`,
      () =>
        ctx.clients.efs.send(
          new CreateFileSystemCommand({
            CreationToken: token,
            Encrypted: spec.encrypted,
            PerformanceMode: spec.performanceMode,
            ThroughputMode: spec.throughputMode,
            Backup: true,
            Tags: tagList(p, { Name: token }),
          }),
        ),
      ['FileSystemAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `FileSystem ${out?.FileSystemId ?? token}: create requested (AWS status "${out?.LifeCycleState ?? 'creating'}")`);
  }
  const fsId = fs.FileSystemId!;
  const status = lifecycle(ctx, 'FileSystem', fsId, fs.LifeCycleState);
  if (status !== 'available') return lifecycleState('FileSystem', fsId, status);

  const waits: ServiceState[] = [];
  // one mount target per subnet, only the spec's security groups
  const mts = await mountTargets(ctx, fsId);
  for (const subnet of aws.subnetIds) {
    const mt = mts.find((m) => m.SubnetId === subnet);
    if (!mt) {
      ctx.log.info({ kind: 'MountTarget', fileSystemId: fsId, subnet }, 'creating AWS resource');
      await callOr(
        `CreateMountTarget ${fsId} ${subnet}`,
        () => ctx.clients.efs.send(new CreateMountTargetCommand({ FileSystemId: fsId, SubnetId: subnet, SecurityGroups: [...aws.securityGroupIds] })),
        ['MountTargetAlreadyExists'],
        undefined,
      );
      waits.push(notReady('Creating', `MountTarget of ${fsId} in ${subnet}: create requested`));
      continue;
    }
    const mtId = mt.MountTargetId!;
    const st = lifecycle(ctx, 'MountTarget', mtId, mt.LifeCycleState);
    if (st !== 'available') {
      waits.push(lifecycleState('MountTarget', mtId, st));
      continue;
    }
    const sgs = await call(`DescribeMountTargetSecurityGroups ${mtId}`, () => ctx.clients.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mtId })));
    if (!sameSet(sgs.SecurityGroups ?? [], aws.securityGroupIds)) {
      ctx.log.info({ kind: 'MountTarget', id: mtId, fields: ['SecurityGroups'] }, 'correcting drift');
      await call(`ModifyMountTargetSecurityGroups ${mtId}`, () => ctx.clients.efs.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mtId, SecurityGroups: [...aws.securityGroupIds] })));
    }
  }

  const apName = accessPointName(p);
  let ap = await findAccessPoint(ctx, p, fsId);
  if (!ap) {
    ctx.log.info({ kind: 'AccessPoint', id: apName, fileSystemId: fsId }, 'creating AWS resource');
    ap = await callOr(
      `CreateAccessPoint ${apName}`,
      () =>
        ctx.clients.efs.send(
          new CreateAccessPointCommand({
            // ClientToken makes the create idempotent on AWS's side too
            ClientToken: apName,
            FileSystemId: fsId,
            PosixUser: { Uid: RUN_AS_USER, Gid: RUN_AS_USER },
            RootDirectory: { Path: WHATSAPP_ROOT, CreationInfo: { OwnerUid: RUN_AS_USER, OwnerGid: RUN_AS_USER, Permissions: '0700' } },
            Tags: tagList(p, { Name: apName }),
          }),
        ),
      ['AccessPointAlreadyExists'],
      undefined,
    );
    waits.push(notReady('Creating', `AccessPoint ${ap?.AccessPointId ?? apName}: create requested (AWS status "${ap?.LifeCycleState ?? 'creating'}")`));
  } else {
    const st = lifecycle(ctx, 'AccessPoint', ap.AccessPointId!, ap.LifeCycleState);
    if (st !== 'available') waits.push(lifecycleState('AccessPoint', ap.AccessPointId!, st));
  }
  if (waits.length) return waits[0]!;
  return { ...ready(`FileSystem ${fsId} and AccessPoint ${ap!.AccessPointId} are available`), fileSystemId: fsId, accessPointId: ap!.AccessPointId };
}

/**
 * File system deletion policy: Retain (the default) or Delete: the access point and mount
 * targets first, the file system once no mount target is left.
 */
export async function finalizeFileSystem(ctx: AwsContext, p: BookingPlatform): Promise<Step> {
  if (p.spec.fileSystem.deletionPolicy !== 'Delete') return { done: true, message: 'file system retained (deletionPolicy Retain)' };
  const fs = await describeFileSystem(ctx, p);
  if (!fs) return { done: true, message: `FileSystem ${fileSystemName(p)} deleted` };
  const fsId = fs.FileSystemId!;
  if (!ownedBy(p, fs.Tags)) return { done: true, message: `FileSystem ${fsId} is not tagged as this platform's: left alone` };
  if (fs.LifeCycleState === 'deleting') return { done: false, message: `waiting for FileSystem ${fsId} to be deleted (AWS status "deleting")` };

  const out = await callOr(`DescribeAccessPoints ${fsId}`, () => ctx.clients.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  for (const ap of out?.AccessPoints ?? []) {
    if (ap.LifeCycleState === 'deleting') continue;
    ctx.log.info({ kind: 'AccessPoint', id: ap.AccessPointId }, 'deleting AWS resource');
    await callOr(`DeleteAccessPoint ${ap.AccessPointId}`, () => ctx.clients.efs.send(new DeleteAccessPointCommand({ AccessPointId: ap.AccessPointId })), ['AccessPointNotFound'], undefined);
  }
  const mts = await mountTargets(ctx, fsId);
  for (const mt of mts) {
    if (mt.LifeCycleState === 'deleting') continue;
    ctx.log.info({ kind: 'MountTarget', id: mt.MountTargetId }, 'deleting AWS resource');
    await callOr(`DeleteMountTarget ${mt.MountTargetId}`, () => ctx.clients.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt.MountTargetId })), ['MountTargetNotFound'], undefined);
  }
  // deleting a mount target takes a while: the file system goes on a later pass
  const left = await mountTargets(ctx, fsId);
  if (left.length) return { done: false, message: `waiting for ${left.length} mount target(s) of FileSystem ${fsId} to be deleted` };
  ctx.log.info({ kind: 'FileSystem', id: fsId }, 'deleting AWS resource');
  await callOr(`DeleteFileSystem ${fsId}`, () => ctx.clients.efs.send(new DeleteFileSystemCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  const after = await describeFileSystem(ctx, p);
  return after ? { done: false, message: `waiting for FileSystem ${fsId} to be deleted` } : { done: true, message: `FileSystem ${fsId} deleted` };
}
