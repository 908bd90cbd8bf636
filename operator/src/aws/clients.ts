/**
 * The one place that constructs AWS clients: region, optional endpoint override (moto,
 * LocalStack), path-style S3 addressing with an override, the SDK's default credential chain
 * unless credentials are given, and the SDK's `standard` retry mode (exponential backoff with
 * jitter on throttling, 5xx and network errors) with a bounded number of attempts.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  region: string;
  /** Endpoint override for every service (e.g. http://127.0.0.1:5000 for moto). */
  endpoint?: string;
  /** Attempts per call, first one included (standard retry mode). */
  maxAttempts?: number;
  /** Static credentials; default: the SDK's default provider chain (env, IRSA web identity, instance role, …). */
  credentials?: AwsCredentials;
  /** Path-style S3 addressing; default: on when an endpoint override is given. */
  forcePathStyle?: boolean;
}

export interface AwsClients {
  rds: RDSClient;
  elasticache: ElastiCacheClient;
  efs: EFSClient;
  s3: S3Client;
  ec2: EC2Client;
}

export function createClients(o: AwsClientOptions): AwsClients {
  const common = {
    region: o.region,
    retryMode: 'standard',
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // a hung endpoint must not hold a reconcile worker forever
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
  return {
    rds: new RDSClient(common),
    elasticache: new ElastiCacheClient(common),
    efs: new EFSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint) }),
    ec2: new EC2Client(common),
  };
}

/** Clients per region, built on first use (a platform's region is immutable). */
export function clientPool(base: Omit<AwsClientOptions, 'region'>): (region: string) => AwsClients {
  const pool = new Map<string, AwsClients>();
  return (region) => {
    let c = pool.get(region);
    if (!c) pool.set(region, (c = createClients({ ...base, region })));
    return c;
  };
}
