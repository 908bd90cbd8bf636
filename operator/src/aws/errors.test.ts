/**
 * Classification of trouble that is not an AWS error answer, shaped as the SDK really throws it
 * (seen against loopback endpoints; operator/test/aws/hang.test.ts drives the real SDK).
 */
import { describe, expect, it } from 'vitest';
import { AwsCallError, AwsDeadlineError, classify, failureState, UnparseableResponseError } from './errors.ts';

const DESERIALIZATION = '\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

describe('classify: answers that are not AWS error documents', () => {
  it.each([
    // query protocol (RDS, ElastiCache, EC2) and S3: a well-formed page without an AWS error code
    ['Unknown', 'Unknown', 503, 'HTTP 503 Service Unavailable'],
    ['Unknown', 'UnknownError', 502, 'HTTP 502 Bad Gateway'],
    // JSON protocol (EFS): the page is not JSON
    ['SyntaxError', `Unexpected token '<', "<html><hea"... is not valid JSON${DESERIALIZATION}`, 504, 'HTTP 504 Gateway Timeout'],
  ])('a proxy’s %s %i is transient and named, not "may not implement this call"', (name, message, status, answered) => {
    const err = sdkError(name, message, { $metadata: { httpStatusCode: status }, ...(name === 'Unknown' ? { $fault: 'server' } : {}) });
    expect(classify(err)).toMatchObject({ kind: 'unavailable', terminal: false, reason: 'AwsUnavailable', code: `HTTP ${status}`, message: `AWS endpoint answered ${answered} (not an AWS error response)` });
  });

  it('an HTML 403 from something in front of AWS is access denied, named as not AWS', () => {
    expect(classify(sdkError('Unknown', 'Unknown', { $metadata: { httpStatusCode: 403 }, $fault: 'client' }))).toMatchObject({
      kind: 'accessDenied',
      message: 'AWS endpoint answered HTTP 403 Forbidden (not an AWS error response)',
    });
  });

  it('a 200 the SDK cannot parse is a transient error, not success', () => {
    const err = sdkError('Error', `@aws-sdk XML parse error: unexpected content.${DESERIALIZATION}`, { $metadata: { httpStatusCode: 200 } });
    const s = failureState('DescribeDBInstances db', err);
    expect(s).toMatchObject({
      ready: false,
      reason: 'AwsBadResponse',
      message: 'DescribeDBInstances db: HTTP 200: "unparseable response: HTTP 200 OK, but the SDK could not read it (Error)" (retrying)',
    });
    expect(s.terminal).toBeUndefined();
  });

  it('a 200 the clients refused before the SDK read it (an HTML page, an empty query answer) is the same', () => {
    expect(classify(new UnparseableResponseError(200, 'the body is not a DescribeDBInstances response (it is empty)'))).toMatchObject({
      kind: 'badResponse',
      terminal: false,
      message: 'unparseable response: HTTP 200 OK, but the body is not a DescribeDBInstances response (it is empty)',
    });
  });

  it('an emulator’s HTML 500 and a real NotImplemented code still say the call may be unsupported', () => {
    expect(classify(sdkError('Error', `@aws-sdk XML parse error: mismatched tags.${DESERIALIZATION}`, { $metadata: { httpStatusCode: 500 } }))).toMatchObject({ kind: 'notImplemented' });
    expect(classify(sdkError('NotImplemented', 'not yet', { $metadata: { httpStatusCode: 501 }, $fault: 'server' }))).toMatchObject({ kind: 'notImplemented', message: 'not yet' });
  });
});

describe('classify: no answer at all', () => {
  it('a reset (which the SDK names TimeoutError) is a reset', () => {
    expect(classify(sdkError('TimeoutError', 'socket hang up', { code: 'ECONNRESET', $metadata: { attempts: 5 } }))).toMatchObject({
      kind: 'unavailable',
      terminal: false,
      code: 'ECONNRESET',
      message: 'connection reset by the AWS endpoint (socket hang up)',
    });
  });

  it.each([
    ['@smithy/node-http-handler - [ERROR] a request has exceeded the configured 30000 ms requestTimeout.', 'ETIMEDOUT', 'no answer from the AWS endpoint within 30s'],
    [`@smithy/node-http-handler - the request socket timed out after 1500 ms of inactivity (configured by client requestHandler).${DESERIALIZATION}`, undefined, 'the AWS endpoint stopped answering mid-response (no data within 1.5s)'],
    ['@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 5000 ms.', undefined, 'could not connect to the AWS endpoint within 5s'],
    // the handler renames an OS-level connect timeout TimeoutError too
    ['connect ETIMEDOUT 10.0.0.1:443', 'ETIMEDOUT', 'could not connect to the AWS endpoint in time (connect ETIMEDOUT 10.0.0.1:443)'],
  ])('%s', (message, code, named) => {
    // a stalled body carries the 200 of its headers: still a timeout, not an unparseable answer
    expect(classify(sdkError('TimeoutError', message, { code, $metadata: { httpStatusCode: message.includes('inactivity') ? 200 : undefined } }))).toMatchObject({
      kind: 'unavailable',
      reason: 'AwsUnavailable',
      terminal: false,
      code: 'TimeoutError',
      message: named,
    });
  });

  it('the call deadline (retries included) names itself', () => {
    expect(failureState('DescribeDBSubnetGroups g', new AwsDeadlineError(60_000))).toMatchObject({
      reason: 'AwsUnavailable',
      message: 'DescribeDBSubnetGroups g: DeadlineExceeded: "no answer from the AWS endpoint within 60s (the call\'s deadline, retries included)" (retrying)',
    });
  });
});

describe('classify: IAM’s own answers', () => {
  it.each(['MalformedPolicyDocument', 'MalformedPolicyDocumentException', 'InvalidInput', 'UnmodifiableEntity', 'PolicyNotAttachable'])('%s is permanent: terminal, the message quoted', (code) => {
    expect(classify(sdkError(code, 'Syntax errors in policy.', { $metadata: { httpStatusCode: 400 }, $fault: 'client' }))).toMatchObject({ kind: 'invalid', terminal: true, reason: 'AwsInvalidRequest', message: 'Syntax errors in policy.' });
  });

  it.each(['DeleteConflict', 'EntityTemporarilyUnmodifiable', 'ConcurrentModification', 'ConcurrentModificationException'])('%s is busy: retried later, not terminal', (code) => {
    expect(classify(sdkError(code, 'try later', { $metadata: { httpStatusCode: 409 }, $fault: 'client' }))).toMatchObject({ kind: 'busy', terminal: false, reason: 'AwsBusy' });
  });
});

describe('classify: a body the SDK could not parse is never quoted', () => {
  // Node 22's JSON.parse quotes a piece of the body it choked on: a malformed GetSecretValue answer carries the value
  const VALUE = 'hunter2-VALUE';
  it.each([
    ['SyntaxError', 200, `Unexpected token 'h', ..."etString":${VALUE}}" is not valid JSON${DESERIALIZATION}`],
    ['SyntaxError', 400, `Unexpected token 'h', ..."etString":${VALUE}}" is not valid JSON${DESERIALIZATION}`],
    ['Error', 200, `@aws-sdk XML parse error: bad <SecretString>${VALUE}</SecretString>.${DESERIALIZATION}`],
    ['SyntaxError', undefined, `Unexpected token 'h', ..."etString":${VALUE}}" is not valid JSON${DESERIALIZATION}`],
  ])('%s, HTTP %s: the state names the error class and the operation only', (name, status, message) => {
    const err = sdkError(name, message, status ? { $metadata: { httpStatusCode: status } } : {});
    const s = failureState('GetSecretValue app/one', err);
    expect(s.message).not.toContain(VALUE);
    expect(s.message).not.toContain('etString');
    expect(s.message).toMatch(/^GetSecretValue app\/one: /);
    expect(s.failure.message).not.toContain(VALUE);
  });

  it('says which class the SDK threw', () => {
    const s = failureState('GetSecretValue app/one', sdkError('SyntaxError', `Unexpected token 'h', "x" is not valid JSON${DESERIALIZATION}`, { $metadata: { httpStatusCode: 200 } }));
    expect(s).toMatchObject({ reason: 'AwsBadResponse', message: 'GetSecretValue app/one: HTTP 200: "unparseable response: HTTP 200 OK, but the SDK could not read it (SyntaxError)" (retrying)' });
  });
});

describe('AwsCallError', () => {
  it('carries the classified message, never the parser’s quote of the body', () => {
    const err = new AwsCallError('GetSecretValue app/one', sdkError('SyntaxError', `Unexpected token 'h', ..."etString":hunter2-VALUE}" is not valid JSON${DESERIALIZATION}`, { $metadata: { httpStatusCode: 200 } }));
    expect(err.message).toBe('GetSecretValue app/one: HTTP 200: unparseable response: HTTP 200 OK, but the SDK could not read it (SyntaxError)');
  });
});
