/**
 * EFS through the SDK, as the ACK renderer (render/ack/efs.ts): a file system (CreationToken =
 * fileSystemName, so a lost create response is found again), one mount target per subnet
 * with only the spec's security groups, and the WhatsApp access point (uid/gid 1000, its own
 * root /whatsapp-auth, 0700), found again by its tags. A file system under our token that is not
 * tagged as this platform's is never mounted or changed (NotOwned).
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
import { classifyLifecycle, combine, lifecycle, lifecycleState, notOwned, ownedBy, sameSet, tagList, type AwsContext, type Step, lost } from './context.ts';
import { call, callOr } from './errors.ts';

export type FileSystemState = ServiceState & { fileSystemId?: string; accessPointId?: string };

export async function describeFileSystem(ctx: AwsContext, p: BookingPlatform): Promise<FileSystemDescription | undefined> {
  const token = fileSystemName(p, ctx.render);
  const out = await call(`DescribeFileSystems ${token}`, () => ctx.clients.efs.send(new DescribeFileSystemsCommand({ CreationToken: token })));
  return out.FileSystems?.find((f) => f.LifeCycleState !== 'deleted');
}

async function mountTargets(ctx: AwsContext, fsId: string): Promise<MountTargetDescription[]> {
  const out = await callOr(`DescribeMountTargets ${fsId}`, () => ctx.clients.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  return out?.MountTargets ?? [];
}

/**
 * This platform's access point, found by its tags (owner and Name), not by ClientToken: a create
 * whose answer was lost is found again even where the token is not honoured. Several (an earlier
 * retried create): the lowest id, so every pass picks the same one.
 */
export async function findAccessPoint(ctx: AwsContext, p: BookingPlatform, fsId: string): Promise<AccessPointDescription | undefined> {
  const name = accessPointName(p, ctx.render);
  const out = await callOr(`DescribeAccessPoints ${fsId}`, () => ctx.clients.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fsId })), ['FileSystemNotFound'], undefined);
  return (out?.AccessPoints ?? [])
    .filter((a) => ownedBy(ctx, p, a.Tags) && a.Tags?.some((t) => t.Key === 'Name' && t.Value === name))
    .sort((a, b) => (a.AccessPointId ?? '').localeCompare(b.AccessPointId ?? ''))[0];
}

/**
 * One attempt, no SDK retry, for creates AWS makes unique only by client token (an emulator may
 * not): a lost answer is a transient error, and the next pass finds the resource by lookup.
 */
export function once<C extends { middlewareStack: { add(mw: unknown, o: Record<string, unknown>): void } }>(cmd: C): C {
  cmd.middlewareStack.add((next: (a: unknown) => unknown) => (args: unknown) => next(args), {
    name: 'retryMiddleware',
    step: 'finalizeRequest',
    priority: 'high',
    tags: ['RETRY'],
    override: true,
  });
  return cmd;
}

export async function observeFileSystem(ctx: AwsContext, p: BookingPlatform, existed = false): Promise<FileSystemState> {
  const spec = p.spec.fileSystem;
  const aws = p.spec.aws!;
  const token = fileSystemName(p, ctx.render);
  const fs = await describeFileSystem(ctx, p);
  if (fs && !ownedBy(ctx, p, fs.Tags)) return notOwned(ctx, p, 'FileSystem', `${token} (${fs.FileSystemId})`, fs.Tags);
  if (!fs) {
    if (existed) return lost('FileSystem', token, 'fileSystem');
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
            Tags: tagList(ctx, p, { Name: token }),
          }),
        ),
      ['FileSystemAlreadyExists'],
      undefined,
    );
    return notReady('Creating', `FileSystem ${out?.FileSystemId ?? token}: create requested (AWS status "${out?.LifeCycleState ?? 'creating'}")`);
  }
  const fsId = fs.FileSystemId!;
  const status = lifecycle(ctx, 'FileSystem', fsId, fs.LifeCycleState);
  const fsState = lifecycleState('FileSystem', fsId, status);
  if (!fsState.ready) return fsState;
  const apName = accessPointName(p, ctx.render);
  if (!classifyLifecycle('FileSystem', status).modifiable) {
    // AWS is updating the file system: nothing is created or changed now; what exists keeps serving
    const existing = await findAccessPoint(ctx, p, fsId);
    if (!existing) return notReady('Creating', `AccessPoint ${apName}: waiting for FileSystem ${fsId} (AWS status "${status}")`);
    const apState = lifecycleState('AccessPoint', existing.AccessPointId!, lifecycle(ctx, 'AccessPoint', existing.AccessPointId!, existing.LifeCycleState));
    if (!apState.ready) return apState;
    return { ...combine([fsState, apState], fsState), fileSystemId: fsId, accessPointId: existing.AccessPointId };
  }

  const waits: ServiceState[] = [fsState];
  // one mount target per subnet, only the spec's security groups
  const mts = await mountTargets(ctx, fsId);
  for (const subnet of aws.subnetIds) {
    const mt = mts.find((m) => m.SubnetId === subnet);
    if (!mt) {
      ctx.log.info({ kind: 'MountTarget', fileSystemId: fsId, subnet }, 'creating AWS resource');
      await callOr(
        `CreateMountTarget ${fsId} ${subnet}`,
        () => ctx.clients.efs.send(once(new CreateMountTargetCommand({ FileSystemId: fsId, SubnetId: subnet, SecurityGroups: [...aws.securityGroupIds] }))),
        ['MountTargetAlreadyExists'],
        undefined,
      );
      waits.push(notReady('Creating', `MountTarget of ${fsId} in ${subnet}: create requested`));
      continue;
    }
    const mtId = mt.MountTargetId!;
    const st = lifecycle(ctx, 'MountTarget', mtId, mt.LifeCycleState);
    if (st !== 'available') {
      // usable while AWS updates it (no change sent meanwhile); not usable while creating
      waits.push(lifecycleState('MountTarget', mtId, st));
      continue;
    }
    const sgs = await call(`DescribeMountTargetSecurityGroups ${mtId}`, () => ctx.clients.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mtId })));
    if (!sameSet(sgs.SecurityGroups ?? [], aws.securityGroupIds)) {
      ctx.log.info({ kind: 'MountTarget', id: mtId, fields: ['SecurityGroups'] }, 'correcting drift');
      await call(`ModifyMountTargetSecurityGroups ${mtId}`, () => ctx.clients.efs.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mtId, SecurityGroups: [...aws.securityGroupIds] })));
    }
  }

  let ap = await findAccessPoint(ctx, p, fsId);
  if (!ap) {
    ctx.log.info({ kind: 'AccessPoint', id: apName, fileSystemId: fsId }, 'creating AWS resource');
    ap = await callOr(
      `CreateAccessPoint ${apName}`,
      () =>
        ctx.clients.efs.send(
          once(new CreateAccessPointCommand({
            // ClientToken makes the create idempotent on AWS's side too
            ClientToken: apName,
            FileSystemId: fsId,
            PosixUser: { Uid: RUN_AS_USER, Gid: RUN_AS_USER },
            RootDirectory: { Path: WHATSAPP_ROOT, CreationInfo: { OwnerUid: RUN_AS_USER, OwnerGid: RUN_AS_USER, Permissions: '0700' } },
            Tags: tagList(ctx, p, { Name: apName }),
          })),
        ),
      ['AccessPointAlreadyExists'],
      undefined,
    );
    waits.push(notReady('Creating', `AccessPoint ${ap?.AccessPointId ?? apName}: create requested (AWS status "${ap?.LifeCycleState ?? 'creating'}")`));
  } else {
    waits.push(lifecycleState('AccessPoint', ap.AccessPointId!, lifecycle(ctx, 'AccessPoint', ap.AccessPointId!, ap.LifeCycleState)));
  }
  const blocked = waits.find((s) => !s.ready);
  if (blocked) return blocked;
  return { ...combine(waits, ready(`FileSystem ${fsId} and AccessPoint ${ap!.AccessPointId} are available`)), fileSystemId: fsId, accessPointId: ap!.AccessPointId };
}

/**
 * File system deletion policy: Retain (the default) or Delete: the access point and mount
 * targets first, the file system once no mount target is left.
 */
export async function finalizeFileSystem(ctx: AwsContext, p: BookingPlatform): Promise<Step> {
  if (p.spec.fileSystem.deletionPolicy !== 'Delete') return { done: true, message: 'file system retained (deletionPolicy Retain)' };
  const fs = await describeFileSystem(ctx, p);
  if (!fs) return { done: true, message: `FileSystem ${fileSystemName(p, ctx.render)} deleted` };
  const fsId = fs.FileSystemId!;
  if (!ownedBy(ctx, p, fs.Tags)) return { done: true, message: `FileSystem ${fsId} is not tagged as this platform's: left alone` };
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
