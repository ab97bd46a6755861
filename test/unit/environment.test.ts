/**
 * The Lambda environment is defined once (shared/environment.ts): the CDK constructs set
 * variables by its names, and the AWS wiring reads every one of them through its schemas.
 */
import { describe, expect, it } from 'vitest';
import {
  auditStreamEnvironment,
  ENVIRONMENT,
  localStackEnvironment,
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

describe('the local stack environment', () => {
  it('defaults every variable (port 8787, data under .jitvend, the sample config)', () => {
    expect(readEnvironment(localStackEnvironment, {})).toEqual({
      PORT: 8787,
      JITVEND_DATA_DIR: '.jitvend',
      JITVEND_CONFIG: 'jitvend.config.yaml',
    });
  });

  it('reads what is set: port 0 picks a free port; an empty data dir is the default', () => {
    expect(
      readEnvironment(localStackEnvironment, { PORT: '0', JITVEND_DATA_DIR: '', SLACK_SIGNING_SECRET: 's3' }),
    ).toMatchObject({ PORT: 0, JITVEND_DATA_DIR: '.jitvend', SLACK_SIGNING_SECRET: 's3' });
  });

  it.each([['http'], ['-1'], ['80.5'], ['65536'], ['']])('refuses PORT=%j, naming it', (port) => {
    expect(() => readEnvironment(localStackEnvironment, { PORT: port }, 'jitvend local stack')).toThrow(
      /^jitvend local stack: PORT.*TCP port number/,
    );
  });
});
