import {
  AssumeRoleCommand,
  ExpiredTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { StsCredentialIssuer } from '../../shared/adapters/sts/credential-issuer.ts';
import { IssueError } from '../../shared/domain/errors.ts';
import type { AssumeRoleInput } from '../../shared/domain/ports.ts';

const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: ['arn:aws:dynamodb:*:*:table/x'] }],
});
const input: AssumeRoleInput = {
  roleArn: ROLE,
  policy: POLICY,
  durationSeconds: 900,
  sourceIdentity: 'jitvend-req1',
  tags: {
    'jitvend:requester': 'repo:acme/orders:ref:refs/heads/main',
    'jitvend:profile': 'orders-it',
    'jitvend:request': 'req1',
  },
};
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const sts = mockClient(STSClient);
afterEach(() => {
  sts.reset();
});

function issuer() {
  return new StsCredentialIssuer(new STSClient({ region: 'us-east-1' }));
}

function serviceError(name: string, status: number, message = `${name} happened`) {
  return new STSServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}

async function issueError(): Promise<IssueError> {
  const error = await issuer()
    .assumeRole(input)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(IssueError);
  return error as IssueError;
}

describe('StsCredentialIssuer', () => {
  it('sends AssumeRole with the session name, source identity, policy, duration and sorted tags', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE000000001',
        SecretAccessKey: SECRET,
        SessionToken: 'FwoGZXIvYXdzEXAMPLE',
        Expiration: new Date('2026-03-01T12:15:00Z'),
      },
    });
    const credentials = await issuer().assumeRole(input);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: ROLE,
      RoleSessionName: 'jitvend-req1',
      SourceIdentity: 'jitvend-req1',
      Policy: POLICY,
      DurationSeconds: 900,
      Tags: [
        { Key: 'jitvend:profile', Value: 'orders-it' },
        { Key: 'jitvend:request', Value: 'req1' },
        { Key: 'jitvend:requester', Value: 'repo:acme/orders:ref:refs/heads/main' },
      ],
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'jitvend-req1',
      SourceIdentity: 'jitvend-req1',
      Policy: POLICY,
      DurationSeconds: 900,
      Tags: [
        { Key: 'jitvend:profile', Value: 'orders-it' },
        { Key: 'jitvend:request', Value: 'req1' },
        { Key: 'jitvend:requester', Value: 'repo:acme/orders:ref:refs/heads/main' },
      ],
    });
    expect(credentials).toEqual({
      accessKeyId: 'ASIAEXAMPLE000000001',
      secretAccessKey: SECRET,
      sessionToken: 'FwoGZXIvYXdzEXAMPLE',
      expiration: '2026-03-01T12:15:00.000Z',
    });
  });

  it('sends no Tags when there are none', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'A', SecretAccessKey: 'S', SessionToken: 'T', Expiration: new Date() },
    });
    await issuer().assumeRole({ ...input, tags: {} });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).not.toHaveProperty('Tags');
  });

  it('fails, not retryable, when STS returns no credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({});
    const error = await issueError();
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(ROLE);
  });

  describe('maps throttling and server errors to a retryable IssueError', () => {
    it.each([
      ['Throttling', 400],
      ['ThrottlingException', 400],
      ['TooManyRequestsException', 429],
      ['SomethingNew', 429],
      ['InternalFailure', 500],
      ['ServiceUnavailable', 503],
    ])('%s (HTTP %i)', async (name, status) => {
      sts.on(AssumeRoleCommand).rejects(serviceError(name, status));
      const error = await issueError();
      expect(error.retryable).toBe(true);
      expect(error.name).toBe('IssueThrottledError');
      expect(error.message).toContain(ROLE);
    });

    it('a network timeout', async () => {
      sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      expect((await issueError()).retryable).toBe(true);
    });
  });

  describe('maps refusals to a final IssueError naming the role', () => {
    const opts = { $metadata: { httpStatusCode: 400 }, message: 'details from STS' };
    it.each([
      [
        'AccessDenied',
        () => serviceError('AccessDenied', 403),
        /STS denied AssumeRole on role .*trust policy/,
      ],
      [
        'MalformedPolicyDocument',
        () => new MalformedPolicyDocumentException(opts),
        /session policy .* as malformed: details from STS/,
      ],
      ['PackedPolicyTooLarge', () => new PackedPolicyTooLargeException(opts), /packed size limit/],
      [
        'RegionDisabled',
        () => new RegionDisabledException({ ...opts, $metadata: { httpStatusCode: 403 } }),
        /not activated in this region/,
      ],
      [
        'ExpiredToken',
        () => new ExpiredTokenException(opts),
        /vending function's own credentials \(ExpiredToken\)/,
      ],
      [
        'ValidationError',
        () => serviceError('ValidationError', 400, '1 validation error detected'),
        /parameters .*: 1 validation error/,
      ],
      ['an unknown client error', () => serviceError('Weird', 400), /failed \(Weird, HTTP 400\)/],
    ])('%s', async (_, error, message) => {
      sts.on(AssumeRoleCommand).rejects(error());
      const issue = await issueError();
      expect(issue.retryable).toBe(false);
      expect(issue.name).toBe('IssueError');
      expect(issue.message).toContain(ROLE);
      expect(issue.message).toMatch(message);
    });
  });
});
