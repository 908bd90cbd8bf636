/** Operator settings from the environment: the managed roles' permissions boundary. */
import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.ts';

describe('BOOKING_IAM_PERMISSIONS_BOUNDARY', () => {
  it('is a managed policy ARN (the account’s or AWS’s), unset when empty', () => {
    expect(configFromEnv({}).iamPermissionsBoundary).toBeUndefined();
    expect(configFromEnv({ BOOKING_IAM_PERMISSIONS_BOUNDARY: '' }).iamPermissionsBoundary).toBeUndefined();
    expect(configFromEnv({ BOOKING_IAM_PERMISSIONS_BOUNDARY: 'arn:aws:iam::123456789012:policy/booking-workloads' }).iamPermissionsBoundary).toBe('arn:aws:iam::123456789012:policy/booking-workloads');
    expect(configFromEnv({ BOOKING_IAM_PERMISSIONS_BOUNDARY: 'arn:aws:iam::aws:policy/PowerUserAccess' }).iamPermissionsBoundary).toBe('arn:aws:iam::aws:policy/PowerUserAccess');
  });

  it('refuses anything else at start, naming the setting', () => {
    expect(() => configFromEnv({ BOOKING_IAM_PERMISSIONS_BOUNDARY: 'arn:aws:iam::123456789012:role/booking' })).toThrow(/BOOKING_IAM_PERMISSIONS_BOUNDARY must be a managed policy ARN/);
  });
});
