/**
 * The one place that constructs AWS clients: region, optional endpoint override (moto,
 * LocalStack), path-style S3 addressing with an override, the SDK's default credential chain
 * unless credentials are given, and the SDK's `standard` retry mode (exponential backoff with
 * jitter on throttling, 5xx and network errors) with a bounded number of attempts.
 *
 * Every call ends by a deadline, so an endpoint that accepts and never answers cannot hold a
 * reconcile worker: per attempt, connecting and each silence (before and within the answer)
 * are bounded; per call, retries included, an abort signal ends the call and the SDK's retries.
 * A 2xx answer is checked to be the AWS document the call expects before the SDK reads it: the
 * SDK reads an HTML page or an empty body on a query-protocol call as an empty success.
 */
import { Buffer } from 'node:buffer';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { AwsDeadlineError, UnparseableResponseError } from './errors.ts';

export const DEFAULT_MAX_ATTEMPTS = 5;
/** Per attempt: time to connect. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Per attempt: the longest silence, before the answer starts or within it (AWS answers in seconds). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Per call, retries and backoff included. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

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
  /** Per attempt: time to connect (default 5 s). */
  connectTimeoutMs?: number;
  /** Per attempt: the longest silence before or within the answer (default 30 s). */
  requestTimeoutMs?: number;
  /** Per call, retries included: then it fails with AwsDeadlineError (default 60 s). */
  callTimeoutMs?: number;
}

export interface AwsClients {
  rds: RDSClient;
  elasticache: ElastiCacheClient;
  efs: EFSClient;
  s3: S3Client;
  ec2: EC2Client;
  secretsManager: SecretsManagerClient;
  /** IAM is global: its client signs for the region it was built for, which AWS accepts. */
  iam: IAMClient;
  sts: STSClient;
  eks: EKSClient;
  cognito: CognitoIdentityProviderClient;
}

export function createClients(o: AwsClientOptions): AwsClients {
  const silence = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const common = {
    region: o.region,
    retryMode: 'standard',
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // without throwOnRequestTimeout the handler only logs a warning; socketTimeout covers an
    // answer that stalls after its headers
    requestHandler: { connectionTimeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, requestTimeout: silence, throwOnRequestTimeout: true, socketTimeout: silence },
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
  const deadline = o.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  return {
    rds: bounded(new RDSClient(common), deadline, 'query'),
    elasticache: bounded(new ElastiCacheClient(common), deadline, 'query'),
    efs: bounded(new EFSClient(common), deadline, 'rest'),
    s3: bounded(new S3Client({ ...common, forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint) }), deadline, 'rest'),
    ec2: bounded(new EC2Client(common), deadline, 'query'),
    secretsManager: bounded(new SecretsManagerClient(common), deadline, 'rest'),
    iam: bounded(new IAMClient(common), deadline, 'query'),
    sts: bounded(new STSClient(common), deadline, 'query'),
    eks: bounded(new EKSClient(common), deadline, 'rest'),
    cognito: bounded(new CognitoIdentityProviderClient(common), deadline, 'rest'),
  };
}

type SendOptions = { abortSignal?: AbortSignal };
type Sender = { send(command: unknown, options?: SendOptions): Promise<unknown> };
type RawResponse = { statusCode: number; body?: unknown };
type Stack = { middlewareStack: { add(mw: unknown, options: { step: string; priority: string; name: string }): void } };

/**
 * Gives every `send` of the client a deadline (an abort signal the SDK's retry loop and HTTP
 * handler obey, and a guarantee the promise settles even where they would not, e.g. resolving
 * credentials), and checks each 2xx answer before the SDK reads it.
 */
function bounded<C extends object>(client: C, deadlineMs: number, protocol: 'query' | 'rest'): C {
  // looked up at call time, so a test's mock of the client class still answers
  const proto = Object.getPrototypeOf(client) as Sender;
  (client as unknown as Sender).send = async (command, options = {}) => {
    const deadline = new AbortController();
    const expired = new AwsDeadlineError(deadlineMs);
    const timedOut = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(expired), { once: true }));
    const timer = setTimeout(() => deadline.abort(expired), deadlineMs);
    const abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal, deadline.signal]) : deadline.signal;
    try {
      return await Promise.race([proto.send.call(client, command, { ...options, abortSignal }), timedOut]);
    } catch (err) {
      throw deadline.signal.aborted ? expired : err;
    } finally {
      clearTimeout(timer);
    }
  };
  // priority low in the deserialize step: inside the SDK's deserializer, so it sees the raw answer
  (client as unknown as Stack).middlewareStack.add(
    (next: (args: unknown) => Promise<{ response: RawResponse }>, context: { commandName?: string }) => async (args: unknown) => {
      const out = await next(args);
      const res = out.response;
      if (res.statusCode < 200 || res.statusCode >= 300) return out;
      const body = await readBody(res.body);
      const operation = String(context.commandName).replace(/Command$/, '');
      const start = body.subarray(0, 512).toString('utf8');
      if (/^\s*(<!doctype html|<html)/i.test(start)) throw new UnparseableResponseError(res.statusCode, `the body is an HTML page, not the ${operation} response`);
      // every query-protocol answer is one <OperationResponse> document
      if (protocol === 'query' && !new RegExp(`^\\s*(<\\?xml[^>]*>\\s*)?<${operation}Response[\\s>]`).test(start)) {
        throw new UnparseableResponseError(res.statusCode, `the body is not a ${operation} response${body.length ? '' : ' (it is empty)'}`);
      }
      res.body = body;
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'checkAwsAnswer' },
  );
  return client;
}

/** The whole body (the operator reads small documents only, never object content). */
async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
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
