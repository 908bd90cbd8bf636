import { describe, expect, it } from 'vitest';
import type { BookingPlatform } from '../api/types.generated.ts';
import { platform, set, withUploads } from '../../test/fixtures/platform.ts';
import { accessPointName, fileSystemName } from './ack/efs.ts';
import { cacheId } from './ack/elasticache.ts';
import { auroraInstanceIds, dbIdentifier, dbSubnetGroupName, finalSnapshotId } from './ack/rds.ts';
import { uploadsBucketName } from './ack/s3.ts';
import { awsName, awsTags, CLUSTER_NAME_PATTERN, whatsappVolumeName, type RenderContext } from './names.ts';

const at = (namespace: string, name: string, ...mods: Parameters<typeof platform>[1][]): BookingPlatform => {
  const p = platform(name, ...mods);
  return { ...p, metadata: { ...p.metadata, namespace } };
};
const ctx = (clusterName: string): RenderContext => ({ clusterName });

/** Namespaces and names that run together when joined with `-`, plus the longest allowed. */
const PARTS = ['a', 'b', 'a-b', 'b-a', 'team', 'team-a', 'a-shop', 'shop', 'x1', 'x-1', 'l'.repeat(30), 'l'.repeat(29) + 'x'];
const NAMESPACES = [...PARTS, 'n'.repeat(63), 'n'.repeat(62) + 'x'];
const CLUSTERS = ['default', 'east', 'west', 'east-1', 'e'.repeat(63)];
const generated = CLUSTERS.flatMap((c) => NAMESPACES.flatMap((ns) => PARTS.map((name) => ({ c: ctx(c), p: at(ns, name) }))));
/** The longest namespace (63) and platform name (30). */
const longName = at('n'.repeat(63), 'a'.repeat(30));

/** Each AWS identifier with its service's rules. */
const RULES: Array<[string, (p: BookingPlatform, c: RenderContext) => string[], number]> = [
  ['RDS instance / cluster', (p, c) => [dbIdentifier(p, c), ...auroraInstanceIds(p, c), awsName(p, c, 'db-1', 63)], 63],
  ['RDS subnet group', (p, c) => [dbSubnetGroupName(p, c)], 255],
  ['RDS final snapshot', (p, c) => [finalSnapshotId(p, c)], 255],
  ['ElastiCache replication group', (p, c) => [cacheId(p, c)], 40],
  ['EFS creation token, access point client token', (p, c) => [fileSystemName(p, c), accessPointName(p, c)], 64],
  ['PersistentVolume', (p, c) => [whatsappVolumeName(p, c)], 63],
];

describe('AWS identifiers', () => {
  it('team-a/shop and team/a-shop no longer share any identifier', () => {
    const c = ctx('prod');
    const a = at('team-a', 'shop');
    const b = at('team', 'a-shop');
    expect(dbIdentifier(a, c)).not.toBe(dbIdentifier(b, c));
    expect(cacheId(a, c)).not.toBe(cacheId(b, c));
    expect(fileSystemName(a, c)).not.toBe(fileSystemName(b, c));
    expect(uploadsBucketName(a, c)).not.toBe(uploadsBucketName(b, c));
    expect(whatsappVolumeName(a, c)).not.toBe(whatsappVolumeName(b, c));
  });

  it('are injective over cluster, namespace and name (a generated set), for every suffix', () => {
    for (const suffix of ['db', 'db-0', 'cache', 'efs', 'whatsapp-auth', 'uploads']) {
      for (const max of [40, 63]) {
        const names = generated.map(({ p, c }) => awsName(p, c, suffix, max));
        expect(new Set(names).size).toBe(generated.length);
      }
    }
  });

  it('are readable and deterministic: bkp-<namespace>-<name>-<hash>-<suffix>, the hash always present', () => {
    expect(dbIdentifier(at('acme', 'shop'), ctx('prod'))).toMatch(/^bkp-acme-shop-[0-9a-f]{10}-db$/);
    expect(dbIdentifier(at('acme', 'shop'), ctx('prod'))).toBe(dbIdentifier(at('acme', 'shop'), ctx('prod')));
    // only the stem is cut: the hash and the suffix stay
    expect(cacheId(longName, ctx('prod'))).toMatch(/^bkp-n+-[0-9a-f]{10}-cache$/);
  });

  it.each(RULES)('%s: a letter first, lower case letters, digits and single hyphens, no trailing hyphen, at most %i characters', (_, ids, max) => {
    for (const { p, c } of [...generated, { p: longName, c: ctx('e'.repeat(63)) }]) {
      for (const id of ids(p, c)) {
        expect(id.length).toBeLessThanOrEqual(max);
        expect(id).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
        expect(id).not.toContain('--');
      }
    }
  });

  it('S3 bucket names: 3–63, lower case, no "..", no xn-- / sthree- prefix, no -s3alias / --ol-s3 suffix, with or without the account id', () => {
    for (const { p, c } of [...generated, { p: longName, c: ctx('east') }]) {
      for (const q of [at(p.metadata.namespace!, p.metadata.name, withUploads()), at(p.metadata.namespace!, p.metadata.name, withUploads(), set('aws.accountId', '123456789012'))]) {
        const b = uploadsBucketName(q, c);
        expect(b.length).toBeGreaterThanOrEqual(3);
        expect(b.length).toBeLessThanOrEqual(63);
        expect(b).toMatch(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/);
        expect(b).not.toContain('..');
        expect(b).not.toMatch(/^(xn--|sthree-)|(-s3alias|--ol-s3)$/);
      }
    }
  });

  it('a user-chosen bucket name is kept as given', () => {
    expect(uploadsBucketName(at('acme', 'shop', withUploads({ bucketName: 'my.bucket' })), ctx('prod'))).toBe('my.bucket');
  });
});

describe('AWS tags', () => {
  it('name the cluster beside the platform, and the user cannot override either', () => {
    const p = at('acme', 'shop', set('aws.tags', { team: 'x', 'booking.io/cluster': 'spoof', 'booking.io/platform': 'spoof' }));
    expect(awsTags(p, ctx('prod'))).toMatchObject({ team: 'x', 'booking.io/cluster': 'prod', 'booking.io/platform': 'acme/shop' });
  });
});

describe('cluster names', () => {
  it.each(['prod', 'eu-west-1-a', 'a', '0'])('%s is valid', (n) => expect(n).toMatch(CLUSTER_NAME_PATTERN));
  it.each(['', 'Prod', 'a/b', '-a', 'a-', 'a_b', 'a'.repeat(64)])('"%s" is not', (n) => expect(n).not.toMatch(CLUSTER_NAME_PATTERN));
});
