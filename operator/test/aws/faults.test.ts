/**
 * Error paths. Unit level with aws-sdk-client-mock (the client's `send` replaced: no SDK retry
 * involved), and at the HTTP level with a proxy in front of moto that throttles, fails or loses
 * responses, so the SDK's real standard-mode retry is exercised end to end.
 */
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { HeadBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClients, type AwsClients } from '../../src/aws/clients.ts';
import { classify, failureState } from '../../src/aws/errors.ts';
import { createSdkProvider } from '../../src/aws/provider.ts';
import { platform, set, withDatabase, withProvisioner, withUploads } from '../fixtures/platform.ts';
import { awsId, captureLog, CLUSTER, CREDENTIALS, flakyProxy, PASSWORD, REGION, sdkPlatform, useMoto, type Fault, type Moto, type Network, finalizePass } from './moto.ts';

const rdsError = (name: string, status: number, message: string, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  new RDSServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message });

describe('classify', () => {
  it.each([
    ['ThrottlingException', 400, 'throttled', false],
    ['Throttling', 400, 'throttled', false],
    ['InternalFailure', 500, 'unavailable', false],
    ['ServiceUnavailable', 503, 'unavailable', false],
    ['InvalidDBInstanceState', 400, 'busy', false],
    ['AccessDenied', 403, 'accessDenied', false],
    ['InvalidParameterCombination', 400, 'invalid', true],
    ['InvalidParameterValue', 400, 'invalid', true],
    ['StorageQuotaExceeded', 400, 'invalid', true],
    ['BucketAlreadyExists', 409, 'invalid', true],
    ['NotImplemented', 501, 'notImplemented', false],
    ['SomethingNew', 400, 'unknown', false],
  ] as const)('%s (HTTP %i) is %s, terminal %s', (name, status, kind, terminal) => {
    expect(classify(rdsError(name, status, 'm'))).toMatchObject({ kind, terminal, code: name });
  });

  it('network failures are transient', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classify(err)).toMatchObject({ kind: 'unavailable', terminal: false, reason: 'AwsUnavailable' });
  });

  it('an HTML 500 (an emulator without the call) says so', () => {
    const err = Object.assign(new Error('@aws-sdk XML parse error: mismatched tags.\n  Deserialization error: to see the raw response…'), { $metadata: { httpStatusCode: 500 } });
    const s = failureState('ModifyReplicationGroup rg', err);
    expect(s).toMatchObject({ reason: 'AwsNotImplemented', message: 'ModifyReplicationGroup rg: HTTP 500: "the answer is not an AWS error document (the endpoint may not implement this call)" (unsupported by this endpoint; retrying later)' });
    expect(s.terminal).toBeUndefined();
  });

  it('a permanent error quotes the AWS message and redacts a secret', () => {
    const s = failureState('CreateDBInstance db', rdsError('InvalidParameterValue', 400, 'bad value s3cr3tpw'), 's3cr3tpw');
    expect(s).toMatchObject({ ready: false, reason: 'AwsInvalidRequest', terminal: true, message: 'CreateDBInstance db: InvalidParameterValue: "bad value ***"' });
  });
});

describe('the provider with a mocked RDS client', () => {
  const rds = mockClient(RDSClient);
  const p = platform('acme', withProvisioner('sdk'), set('environment', 'staging'), withDatabase());
  const dp = () => createSdkProvider({ region: REGION, log: captureLog().log, clients: (region) => createClients({ region, credentials: CREDENTIALS }), clusterName: CLUSTER });

  afterEach(() => rds.reset());
  afterAll(() => rds.restore());

  /** The owner tags this platform's resources carry. */
  const OURS = [{ Key: 'booking.io/platform', Value: 'acme/acme' }, { Key: 'booking.io/cluster', Value: CLUSTER }];
  const subnetGroupExists = () => {
    rds.on(DescribeDBSubnetGroupsCommand).resolves({ DBSubnetGroups: [{ DBSubnetGroupName: awsId('acme', 'db'), DBSubnetGroupArn: `arn:aws:rds:us-east-1:123456789012:subgrp:${awsId('acme', 'db')}` }] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: OURS });
  };

  it('ThrottlingException is transient: not ready, not terminal, looked at again; nothing is created', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).rejects(rdsError('ThrottlingException', 400, 'Rate exceeded'));
    const o = await dp().observe(p, PASSWORD);
    expect(o.database).toEqual({ ready: false, reason: 'AwsThrottled', message: `DescribeDBInstances ${awsId('acme', 'db')}: ThrottlingException: "Rate exceeded" (retrying)` });
    expect(o.requeueAfterMs).toBe(15_000);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });

  it('a 500 is transient', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).rejects(rdsError('InternalFailure', 500, 'We encountered an internal error.'));
    const o = await dp().observe(p, PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'AwsUnavailable' });
    expect(o.database!.terminal).toBeUndefined();
    expect(o.requeueAfterMs).toBeGreaterThan(0);
  });

  it('InvalidParameterCombination is a terminal state with the AWS message; the create is not repeated', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).rejects(rdsError('DBInstanceNotFoundFault', 404, `DBInstance ${awsId('acme', 'db')} not found.`));
    rds.on(CreateDBInstanceCommand).rejects(rdsError('InvalidParameterCombination', 400, 'RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t4g.medium, Engine=postgres, EngineVersion=16'));
    const o = await dp().observe(p, PASSWORD);
    expect(o.database).toEqual({
      ready: false,
      reason: 'AwsInvalidRequest',
      terminal: true,
      message:
        `CreateDBInstance ${awsId('acme', 'db')}: InvalidParameterCombination: "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t4g.medium, Engine=postgres, EngineVersion=16"`,
    });
    // terminal: no requeue storm, and exactly one create went out
    expect(o.requeueAfterMs).toBeUndefined();
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
    expect(rds.commandCalls(CreateDBInstanceCommand)[0]!.args[0].input.MasterUserPassword).toBe(PASSWORD);
  });

  it('a lost create response (500) leaks nothing: the next pass finds the instance and does not create again', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).rejectsOnce(rdsError('DBInstanceNotFoundFault', 404, 'not found')).resolves({ DBInstances: [{ DBInstanceIdentifier: awsId('acme', 'db'), DBInstanceStatus: 'creating', TagList: OURS }] });
    rds.on(CreateDBInstanceCommand).rejects(rdsError('InternalFailure', 500, 'internal error'));
    const first = await dp().observe(p, PASSWORD);
    expect(first.database).toMatchObject({ ready: false, reason: 'AwsUnavailable' });
    const second = await dp().observe(p, PASSWORD);
    expect(second.database).toEqual({ ready: false, reason: 'Creating', message: `DBInstance ${awsId('acme', 'db')}: AWS status "creating"` });
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
  });

  it('DBInstanceAlreadyExists on create (a retried create whose first attempt went through) counts as created', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).rejects(rdsError('DBInstanceNotFoundFault', 404, 'not found'));
    rds.on(CreateDBInstanceCommand).rejects(rdsError('DBInstanceAlreadyExistsFault', 400, 'DB instance already exists'));
    const o = await dp().observe(p, PASSWORD);
    expect(o.database).toMatchObject({ ready: false, reason: 'Creating' });
  });

  it('a drift modification AWS rejects is terminal and quoted', async () => {
    subnetGroupExists();
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: awsId('acme', 'db'), DBInstanceStatus: 'available', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, BackupRetentionPeriod: 7, MultiAZ: true, DeletionProtection: false, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-01' }], Endpoint: { Address: 'h', Port: 5432 }, TagList: OURS }],
    });
    rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidParameterCombination', 400, 'db.t4g.medium is not available for this engine version'));
    const o = await dp().observe(p, PASSWORD);
    expect(o.database).toMatchObject({ ready: true, terminal: true, message: `DBInstance ${awsId('acme', 'db')} is usable; ModifyDBInstance ${awsId('acme', 'db')}: InvalidParameterCombination: "db.t4g.medium is not available for this engine version"` });
  });

  it('finalize: a throttled delete keeps the finalizer with the reason', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: awsId('acme', 'db'), DBInstanceStatus: 'available', TagList: [{ Key: 'booking.io/platform', Value: 'acme/acme' }, { Key: 'booking.io/cluster', Value: CLUSTER }] }] });
    rds.on(DeleteDBInstanceCommand).rejects(rdsError('ThrottlingException', 400, 'Rate exceeded'));
    expect(await finalizePass(dp(), p)).toEqual({ done: false, message: `database: DeleteDBInstance ${awsId('acme', 'db')}: ThrottlingException: "Rate exceeded" (retrying)` });
  });

  it('finalize never deletes a database that is not tagged as the platform’s', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: awsId('acme', 'db'), DBInstanceStatus: 'available', TagList: [{ Key: 'booking.io/platform', Value: 'other/x' }] }] });
    expect(await finalizePass(dp(), p)).toMatchObject({ done: true, message: expect.stringContaining('not tagged as this platform') });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });
});

describe('the provider with a mocked S3 client', () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());

  it('a bucket name answering 403 is reported as someone else’s (or no access), not retried as created', async () => {
    s3.on(HeadBucketCommand).rejects(new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Forbidden' }));
    const p = platform('acme', withProvisioner('sdk'), withUploads());
    const o = await createSdkProvider({ region: REGION, log: captureLog().log, clients: (region) => createClients({ region, credentials: CREDENTIALS }), clusterName: CLUSTER }).observe(p, undefined);
    expect(o.uploads).toMatchObject({ ready: false, reason: 'AwsAccessDenied', message: expect.stringContaining('403: the name belongs to another account') });
  });
});

describe('clients', () => {
  it('use the SDK’s standard retry mode with bounded attempts, path-style S3 behind an endpoint override', async () => {
    const c = createClients({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials: CREDENTIALS, maxAttempts: 4 });
    expect(await c.rds.config.region()).toBe('eu-west-1');
    expect(await c.rds.config.maxAttempts()).toBe(4);
    expect(c.rds.config.retryMode).toBe('standard');
    expect(c.s3.config.forcePathStyle).toBe(true);
    const d = createClients({ region: 'eu-west-1' });
    expect(await d.efs.config.maxAttempts()).toBe(5);
    expect(d.s3.config.forcePathStyle).toBe(false);
  });
});

describe('through the real SDK retry stack (a faulty proxy in front of moto)', () => {
  let moto: Moto;
  let aws: AwsClients;
  let net: Network;
  useMoto((env) => ({ moto, aws, net } = env));

  const withProxy = async (plan: (action: string, n: number) => Fault, fn: (endpoint: string, seen: string[]) => Promise<void>) => {
    const proxy = await flakyProxy(moto.endpoint, plan);
    try {
      await fn(proxy.endpoint, proxy.seen);
    } finally {
      await proxy.stop();
    }
  };
  const sdk = (endpoint: string, maxAttempts: number) => createSdkProvider({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts, log: captureLog().log, clusterName: CLUSTER });

  it('throttling is retried by the SDK (standard mode) and the pass succeeds', async () => {
    const p = sdkPlatform('thr', net, set('environment', 'dev'), withDatabase());
    await withProxy((action, n) => (action === 'DescribeDBSubnetGroups' && n < 2 ? 'throttle' : 'forward'), async (endpoint, seen) => {
      const o = await sdk(endpoint, 5).observe(p, PASSWORD);
      expect(o.database).toMatchObject({ reason: 'Creating' });
      expect(seen.slice(0, 3)).toEqual(['DescribeDBSubnetGroups', 'DescribeDBSubnetGroups', 'DescribeDBSubnetGroups']);
    });
  });

  it('throttling beyond the attempts is a transient state, then the next pass goes through', async () => {
    const p = sdkPlatform('thr2', net, set('environment', 'dev'), withDatabase());
    let throttle = true;
    await withProxy(() => (throttle ? 'throttle' : 'forward'), async (endpoint, seen) => {
      const o = await sdk(endpoint, 2).observe(p, PASSWORD);
      expect(o.database).toMatchObject({ ready: false, reason: 'AwsThrottled', message: `DescribeDBSubnetGroups ${awsId('thr2', 'db')}: Throttling: "Rate exceeded" (retrying)` });
      expect(o.database!.terminal).toBeUndefined();
      expect(seen).toEqual(['DescribeDBSubnetGroups', 'DescribeDBSubnetGroups']);
      throttle = false;
      expect((await sdk(endpoint, 2).observe(p, PASSWORD)).database).toMatchObject({ reason: 'Creating' });
    });
  });

  it('a create whose response is lost (500 after AWS created it) is retried by the SDK, answered AlreadyExists, and leaks nothing', async () => {
    const p = sdkPlatform('lost', net, set('environment', 'dev'), withDatabase());
    await withProxy((action, n) => (action === 'CreateDBInstance' && n === 0 ? 'lose-response' : 'forward'), async (endpoint, seen) => {
      const o = await sdk(endpoint, 3).observe(p, PASSWORD);
      expect(o.database).toMatchObject({ ready: false, reason: 'Creating' });
      expect(seen.filter((a) => a === 'CreateDBInstance')).toHaveLength(2);
      const again = await sdk(endpoint, 3).observe(p, PASSWORD);
      expect(again.database).toMatchObject({ ready: true });
      expect(seen.filter((a) => a === 'CreateDBInstance')).toHaveLength(2);
    });
    const ids = ((await aws.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier).filter((id) => id!.startsWith('bkp-lost-'));
    expect(ids).toEqual([awsId('lost', 'db')]);
  });

  it('a 500 on every attempt is transient; nothing is half-created twice', async () => {
    const p = sdkPlatform('five', net, set('environment', 'dev'), withDatabase());
    await withProxy((action) => (action === 'CreateDBInstance' ? 'error500' : 'forward'), async (endpoint, seen) => {
      const o = await sdk(endpoint, 2).observe(p, PASSWORD);
      expect(o.database).toMatchObject({ ready: false, reason: 'AwsUnavailable', message: `CreateDBInstance ${awsId('five', 'db')}: InternalFailure: "We encountered an internal error. Please try again." (retrying)` });
      expect(o.requeueAfterMs).toBeGreaterThan(0);
      expect(seen.filter((a) => a === 'CreateDBInstance')).toHaveLength(2);
    });
  });
});
