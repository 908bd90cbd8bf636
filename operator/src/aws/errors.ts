/**
 * What an AWS error means for the reconcile loop.
 *
 * By the time an error reaches us the SDK has already retried it (standard retry mode). What is
 * left is classified: throttling, 5xx and network failures are transient (not ready, look again
 * later); a resource busy in another operation is transient too; permanent request errors
 * (InvalidParameterCombination, InvalidParameterValue, quota, a taken bucket name, …) are
 * terminal: they will not heal without a spec change, and the AWS message is quoted verbatim.
 * Trouble that is not an AWS answer is named as what it is — no answer in time, a reset, a proxy's
 * HTML 502/503, a 200 whose body is not the AWS response — never guessed at as an AWS error.
 */
import { STATUS_CODES } from 'node:http';
import { notReady, type ServiceState } from '../data/types.ts';

export type ErrorKind = 'throttled' | 'unavailable' | 'notImplemented' | 'busy' | 'accessDenied' | 'invalid' | 'badResponse' | 'unknown';

export interface AwsFailure {
  kind: ErrorKind;
  code: string;
  message: string;
  httpStatus?: number;
  /** Will not heal without a spec change. */
  terminal: boolean;
  /** CamelCase reason for the service condition. */
  reason: string;
}

const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'RequestThrottled', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'BandwidthLimitExceeded', 'SlowDown', 'PriorRequestNotComplete',
  'EC2ThrottledException', 'TransactionInProgressException',
]);
const UNAVAILABLE = new Set([
  'InternalFailure', 'InternalError', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout',
  'RequestTimeoutException', 'TimeoutError', 'InsufficientDBInstanceCapacity', 'InsufficientDBInstanceCapacityFault',
  'InsufficientCacheClusterCapacity', 'InsufficientCacheClusterCapacityFault', 'InsufficientThroughputCapacity', 'DependencyTimeout',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
const NOT_IMPLEMENTED = new Set(['NotImplemented', 'NotImplementedException', 'UnsupportedOperation']);
/** The resource is in the middle of something else: try again later. */
const BUSY = new Set([
  'InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault', 'InvalidDBSubnetGroupStateFault', 'InvalidReplicationGroupState',
  'InvalidReplicationGroupStateFault', 'InvalidCacheClusterState', 'InvalidCacheClusterStateFault', 'CacheSubnetGroupInUse', 'IncorrectMountTargetState',
  'IncorrectFileSystemLifeCycleState', 'FileSystemInUse', 'OperationAborted', 'ConflictException', 'Conflict', 'InvalidDBClusterSnapshotStateFault',
  // IAM: a role still attached somewhere, a role being changed by someone else
  'DeleteConflict', 'EntityTemporarilyUnmodifiable', 'ConcurrentModification', 'ConcurrentModificationException',
]);
const ACCESS = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId',
  'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch', 'AuthFailure', 'CredentialsProviderError', 'InvalidSignatureException',
  'Forbidden', 'IncompleteSignature', 'MissingAuthenticationToken',
]);
const INVALID = new Set([
  'InvalidParameterCombination', 'InvalidParameterValue', 'InvalidParameterValueException', 'InvalidParameter', 'InvalidParameterException',
  'InvalidParameterCombinationException', 'ValidationError', 'ValidationException', 'MissingParameter', 'InvalidSubnet', 'InvalidVPCNetworkStateFault',
  'DBSubnetGroupDoesNotCoverEnoughAZs', 'BucketAlreadyExists', 'InvalidBucketName', 'TooManyBuckets', 'SecurityGroupNotFound', 'SubnetNotFound',
  'MountTargetConflict', 'BadRequest', 'UnsupportedAvailabilityZone', 'KMSKeyNotAccessibleFault', 'StorageTypeNotSupported',
  'StorageTypeNotSupportedFault', 'DBSnapshotAlreadyExists', 'DBClusterSnapshotAlreadyExistsFault', 'InvalidDBSubnetGroupFault',
  'DBSubnetGroupNotAllowedFault', 'InvalidCacheSecurityGroupState', 'InvalidRequest', 'InvalidArgument', 'MalformedXML',
  // IAM: a document or value IAM refuses, an entity it will not change
  'MalformedPolicyDocument', 'MalformedPolicyDocumentException', 'InvalidInput', 'UnmodifiableEntity', 'PolicyNotAttachable',
]);
/** Quota and capability errors share these name parts. */
const INVALID_PATTERN = /QuotaExceeded|NotSupported|LimitExceeded(Exception|Fault)?$|^Invalid(Parameter|Subnet|VPC)/;

/** The AWS error code (`name` on SDK v3 service exceptions). */
export function errorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string } | undefined;
  return e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code ?? 'Error';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Whether the error carries one of the codes (e.g. a NotFound or AlreadyExists fault). */
export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = errorCode(err);
  return codes.includes(code) || codes.includes(code.replace(/Fault$/, '')) || codes.includes(`${code}Fault`);
}

/** The class of error thrown (`SyntaxError`, `Error`, …): what may be said of an error whose message may quote a body. */
function errorClass(err: unknown): string {
  const name = (err as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(name) ? name : 'Error';
}

/** A call that did not finish by its deadline, retries included (thrown by the clients, clients.ts). */
export class AwsDeadlineError extends Error {
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super(`no answer from the AWS endpoint within ${seconds(deadlineMs)} (the call's deadline, retries included)`);
    this.name = 'DeadlineExceeded';
    this.deadlineMs = deadlineMs;
  }
}

/** A 2xx answer that is not the AWS response the call expects (thrown by the clients, clients.ts). */
export class UnparseableResponseError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(httpStatusCode: number, what: string) {
    super(what);
    this.name = 'UnparseableResponse';
    this.$metadata = { httpStatusCode };
  }
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))}s`;
const RESET = new Set(['ECONNRESET', 'EPIPE']);
/** The names the SDK gives an error answer it found no AWS error code in. */
const NO_AWS_CODE = new Set(['Unknown', 'UnknownError']);

/** What went wrong below AWS (no answer, a reset), or undefined when an answer came. */
function transportFailure(err: unknown): { code: string; message: string } | undefined {
  if (err instanceof AwsDeadlineError) return { code: err.name, message: err.message };
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  const raw = String(e?.message ?? '').split('\n')[0]!;
  // the SDK names a reset "TimeoutError" too: the socket code tells them apart
  if (RESET.has(e?.code ?? '')) return { code: e!.code!, message: `connection reset by the AWS endpoint (${raw})` };
  if (e?.code === 'ECONNREFUSED') return { code: e.code, message: `connection refused by the AWS endpoint (${raw})` };
  if (e?.name !== 'TimeoutError') return undefined;
  const ms = Number(/(\d+) ms/.exec(raw)?.[1] ?? NaN);
  const within = Number.isFinite(ms) ? ` within ${seconds(ms)}` : ` in time (${raw})`;
  if (/establish a connection|^connect /.test(raw)) return { code: e.name, message: `could not connect to the AWS endpoint${within}` };
  return { code: e.name, message: /inactivity/.test(raw) ? `the AWS endpoint stopped answering mid-response (no data${within})` : `no answer from the AWS endpoint${within}` };
}

export function classify(err: unknown): AwsFailure {
  const status = httpStatus(err);
  const named = errorCode(err);
  const f = (kind: ErrorKind, reason: string, code: string, message: string, terminal = false): AwsFailure => ({ kind, code, message, httpStatus: status, terminal, reason });

  const transport = transportFailure(err);
  if (transport) return f('unavailable', 'AwsUnavailable', transport.code, transport.message);

  const raw = String((err as Error | undefined)?.message ?? err);
  // an answer that is not an AWS document: an emulator's HTML 500 page, a proxy's 502, a 200 with garbage
  const undecodable = /Deserialization error|parse error/i.test(raw);
  // the parser's message quotes the body it choked on (Node's JSON.parse does), and a body may hold a
  // secret value (GetSecretValue): name the error's class only, never its message
  const unread = `the SDK could not read it (${errorClass(err)})`;
  if (undecodable && !status) return f('badResponse', 'AwsBadResponse', 'UnparseableResponse', `unparseable response: ${unread}`);
  if (status && (undecodable || NO_AWS_CODE.has(named) || err instanceof UnparseableResponseError)) {
    const code = `HTTP ${status}`;
    const answered = `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim();
    if (status < 300) return f('badResponse', 'AwsBadResponse', code, `unparseable response: ${answered}, but ${err instanceof UnparseableResponseError ? raw : unread}`);
    // what an emulator answers for a call it lacks
    if (undecodable && (status === 500 || status === 501)) return f('notImplemented', 'AwsNotImplemented', code, 'the answer is not an AWS error document (the endpoint may not implement this call)');
    const message = `AWS endpoint answered ${answered} (not an AWS error response)`;
    if (status === 429) return f('throttled', 'AwsThrottled', code, message);
    if (status === 403) return f('accessDenied', 'AwsAccessDenied', code, message);
    return status >= 500 ? f('unavailable', 'AwsUnavailable', code, message) : f('unknown', 'AwsError', code, message);
  }

  const code = named === 'Error' && status ? `HTTP ${status}` : named;
  const fault = (err as { $fault?: string } | undefined)?.$fault;
  const retryable = (err as { $retryable?: { throttling?: boolean } } | undefined)?.$retryable;
  const c = (kind: ErrorKind, reason: string, terminal = false) => f(kind, reason, code, raw, terminal);
  if (NOT_IMPLEMENTED.has(code) || status === 501) return c('notImplemented', 'AwsNotImplemented');
  if (THROTTLING.has(code) || status === 429 || retryable?.throttling) return c('throttled', 'AwsThrottled');
  if (UNAVAILABLE.has(code) || NETWORK.has(code) || NETWORK.has(String((err as { code?: string })?.code)) || (status ?? 0) >= 500) return c('unavailable', 'AwsUnavailable');
  if (BUSY.has(code)) return c('busy', 'AwsBusy');
  if (ACCESS.has(code) || status === 403) return c('accessDenied', 'AwsAccessDenied');
  if (INVALID.has(code) || INVALID_PATTERN.test(code)) return c('invalid', 'AwsInvalidRequest', true);
  if (fault === 'server') return c('unavailable', 'AwsUnavailable');
  return c('unknown', 'AwsError');
}

/** A service state for a failed call: `<action> <target>: <code>: "<AWS message>"`. */
export function failureState(action: string, err: unknown, secret?: string): ServiceState & { failure: AwsFailure } {
  const failure = classify(err);
  const text = redact(`${action}: ${failure.code}: "${failure.message}"`, secret);
  const hint = failure.kind === 'notImplemented' ? ' (unsupported by this endpoint; retrying later)' : failure.terminal ? '' : ' (retrying)';
  return { ...notReady(failure.reason, text + hint, failure.terminal), failure };
}

/** Removes a secret from text that may be logged or shown in status. */
export function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}

/** A failure wrapped with the action that failed, thrown through the service modules. */
export class AwsCallError extends Error {
  readonly action: string;
  readonly error: unknown;
  constructor(action: string, error: unknown) {
    // classified, so an unparseable body's text never rides along in a message that may be logged
    const failure = classify(error);
    super(`${action}: ${failure.code}: ${failure.message}`);
    this.name = 'AwsCallError';
    this.action = action;
    this.error = error;
  }
}

/** Runs one AWS call; a failure comes out as an AwsCallError naming the action and target. */
export async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new AwsCallError(action, err);
  }
}

/**
 * Like `call`, but errors with one of `codes` (a NotFound fault on describe, an AlreadyExists
 * fault on create after a lost response) answer `fallback` instead.
 */
export async function callOr<T, F>(action: string, fn: () => Promise<T>, codes: string[], fallback: F): Promise<T | F> {
  try {
    return await fn();
  } catch (err) {
    if (hasCode(err, ...codes)) return fallback;
    throw new AwsCallError(action, err);
  }
}

/** The state for any error thrown while handling one service. */
export function stateForError(err: unknown, secret?: string): ServiceState {
  if (err instanceof AwsCallError) {
    const { failure: _failure, ...state } = failureState(err.action, err.error, secret);
    return state;
  }
  return notReady('AwsError', redact(`unexpected error: ${(err as Error | undefined)?.message ?? String(err)}`, secret) + ' (retrying)');
}
