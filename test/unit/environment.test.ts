/**
 * The Lambda environment is defined once (shared/environment.ts): the CDK constructs set
 * variables by its names, and the AWS wiring reads every one of them through its schemas.
 */
import { describe, expect, it } from 'vitest';
import {
  auditStreamEnvironment,
  ENVIRONMENT,
  readEnvironment,
  runtimeEnvironment,
  usageEnvironment,
} from '../../shared/environment.ts';

describe('the Lambda environment', () => {
  it('every variable the stack may set is read by the runtime, the usage source or the audit stream', () => {
    const read = new Set([
      ...Object.keys(runtimeEnvironment.shape),
      ...Object.keys(usageEnvironment.shape),
      ...Object.keys(auditStreamEnvironment.shape),
    ]);
    expect(Object.keys(ENVIRONMENT).filter((name) => !read.has(name))).toEqual([]);
  });

  it.each([
    [{ TABLE_NAME: 't' }, /TABLE_NAME/],
    [{ PUBLIC_URL: 'not a url' }, /PUBLIC_URL/],
    [{ SLACK_SECRET_ARN: 'slack' }, /SLACK_SECRET_ARN.*Secrets Manager secret ARN/],
  ])('names the variable that is missing or wrong (%o)', (env, message) => {
    expect(() => readEnvironment(runtimeEnvironment, env)).toThrow(message);
  });

  it('reads a complete runtime environment, with the config path defaulted', () => {
    const settings = readEnvironment(runtimeEnvironment, {
      TABLE_NAME: 'jitvend-requests',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:jitvend-approval',
      CREDENTIALS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/k',
      PUBLIC_URL: 'https://jitvend.example.com',
    });
    expect(settings).toMatchObject({ TABLE_NAME: 'jitvend-requests', JITVEND_CONFIG: 'jitvend.config.yaml' });
  });
});
