/**
 * ackRoleState against the status the real iam-controller v1.5.0 writes (seen in
 * operator/test/integration/ack-iam-real.test.ts): it creates the role, reports its ARN with
 * ACK.ResourceSynced False, and puts the inline policy one reconcile (30 s) later; an inline policy
 * IAM refuses makes it ACK.Terminal. The Recoverable shape is the ACK runtime's (v0.51), not seen here.
 */
import { describe, expect, it } from 'vitest';
import { ackRoleState } from './ack.ts';

const ARN = 'arn:aws:iam::123456789012:role/booking/9a90e30f3d/bkp-c-shop-9a90e30f3d-chatbot';
const metadata = { arn: ARN, ownerAccountID: '123456789012', region: 'us-east-1' };
const lateInitialized = { type: 'ACK.LateInitialized', status: 'True', message: 'Late initialization successful', reason: 'Late initialization successful' };
/** Right after CreateRole: the role exists, its inline policy does not yet. */
const justCreated = { status: { ackResourceMetadata: metadata, conditions: [{ type: 'ACK.ResourceSynced', status: 'False' }, lateInitialized], roleID: 'AROAEXAMPLE' } };
/** After the next reconcile put the inline policy. */
const synced = { status: { ackResourceMetadata: metadata, conditions: [lateInitialized, { type: 'ACK.ResourceSynced', status: 'True', message: 'Resource synced successfully', reason: '' }], roleID: 'AROAEXAMPLE' } };
/** IAM refused the inline policy of a role that exists (MalformedPolicyDocument: the runtime makes it Terminal). */
const refused = {
  status: {
    ackResourceMetadata: metadata,
    conditions: [
      { type: 'ACK.Terminal', status: 'True', message: 'MalformedPolicyDocument: Statement IDs (SID) in a single policy must be unique.' },
      { type: 'ACK.ResourceSynced', status: 'False', message: 'Resource not synced', reason: 'resource is in terminal condition' },
    ],
  },
};
/** Another error on a role that exists (throttling, AccessDenied): Recoverable, ResourceSynced Unknown. */
const retrying = {
  status: {
    ackResourceMetadata: metadata,
    conditions: [
      { type: 'ACK.Recoverable', status: 'True', message: 'AccessDenied: not authorized to perform iam:PutRolePolicy' },
      { type: 'ACK.ResourceSynced', status: 'Unknown', message: 'Unable to determine if desired resource state matches latest observed state' },
    ],
  },
};

describe('ackRoleState with the real iam-controller’s status', () => {
  it('a role just created (ARN, not synced) is not ready and its ARN is not handed over: it has no permissions yet', () => {
    const s = ackRoleState('chatbot', justCreated);
    expect(s).toMatchObject({ ready: false, reason: 'Syncing' });
    expect(s.terminal).toBeFalsy();
    expect(s.arn).toBeUndefined();
  });

  it('once ACK reports it synced, it is ready with its ARN', () => {
    expect(ackRoleState('chatbot', synced)).toMatchObject({ ready: true, arn: ARN });
  });

  it('a refused document is terminal, quotes IAM, and keeps the ARN: the role in use works on as it was', () => {
    const s = ackRoleState('chatbot', refused);
    expect(s).toMatchObject({ ready: false, reason: 'ACKTerminal', terminal: true, arn: ARN });
    expect(s.message).toContain('MalformedPolicyDocument');
  });

  it('a recoverable error on a role that exists is not ready and keeps the ARN', () => {
    const s = ackRoleState('chatbot', retrying);
    expect(s).toMatchObject({ ready: false, reason: 'ACKRecoverable', arn: ARN });
    expect(s.terminal).toBeFalsy();
  });
});
