/**
 * STS misbehaving, on the local stack in process with the real STS adapter
 * (StsCredentialIssuer) in place of the local stand-in, its client answered by
 * aws-sdk-client-mock with the errors AWS documents for AssumeRole: throttling then
 * success ends issued; AccessDenied and PackedPolicyTooLarge end `failed`, with the
 * reason in the request view and nothing delivered.
 */
import { AssumeRoleCommand, PackedPolicyTooLargeException, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StsCredentialIssuer } from '../../shared/adapters/sts/credential-issuer.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({
  waitTimeOverrides: { WaitUntilExpiry: 600_000 },
  retryIntervalOverrides: { IssueCredentials: 10 },
});
const sts = mockClient(STSClient);
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-faults';

/** an STS error as the SDK raises it (name, fault, HTTP status) */
function awsError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'sts-fault-test' },
  });
}

const credentials = {
  AccessKeyId: 'ASIAFAULTTESTEXAMPLE',
  SecretAccessKey: 'fault-test-secret-access-key-0000000000000',
  SessionToken: 'fault-test-session-token',
  Expiration: new Date(Date.now() + 900_000),
};

let pipeline: string;
beforeAll(async () => {
  ctx.stack.runtime.issuer = new StsCredentialIssuer(new STSClient({ region: 'us-east-1', maxAttempts: 1 }));
  pipeline = await ctx.stack.oidc.sign({
    sub: 'repo:acme/orders:ref:refs/heads/main',
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  });
});
afterEach(() => sts.reset());

async function autoApproved(reason: string) {
  const created = await api(ctx.stack, 'POST', '/requests', pipeline, {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    reason,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

describe('STS faults', () => {
  it('throttled twice, then answering: the request ends issued and the credentials are delivered', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(awsError('Throttling', 'Rate exceeded', 400))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded', 400))
      .resolves({ Credentials: credentials });
    const id = await autoApproved('sts throttled');
    await untilStatus(ctx.stack, id, pipeline, 'issued');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
    expect(sts.commandCalls(AssumeRoleCommand)[2]!.args[0].input).toMatchObject({
      RoleSessionName: `jitvend-${id}`,
      SourceIdentity: `jitvend-${id}`,
      DurationSeconds: 900,
    });
    const delivered = await api(ctx.stack, 'POST', `/requests/${id}/credentials`, pipeline);
    expect(delivered.status).toBe(200);
    expect(delivered.body.accessKeyId).toBe(credentials.AccessKeyId);
  });

  it('a 5xx from STS is retried like throttling', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(awsError('InternalFailure', 'internal failure', 500))
      .resolves({ Credentials: credentials });
    const id = await autoApproved('sts 500 once');
    await untilStatus(ctx.stack, id, pipeline, 'issued');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('throttled past every retry: failed, saying STS throttled, never stuck approved', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('Throttling', 'Rate exceeded', 400));
    const id = await autoApproved('sts always throttled');
    const view = await untilStatus(ctx.stack, id, pipeline, 'failed');
    expect(String(view.statusReason)).toMatch(/throttled/i);
  });

  it.each([
    {
      error: awsError(
        'AccessDenied',
        'User: arn:aws:sts::123456789012:assumed-role/vend is not authorized',
        403,
      ),
      reason: /denied AssumeRole on role arn:aws:iam::123456789012:role\/jitvend-orders-it/,
    },
    {
      error: new PackedPolicyTooLargeException({
        message: 'Packed policy consumes 112% of allotted space',
        $metadata: { httpStatusCode: 400 },
      }),
      reason: /packed size limit/,
    },
  ])(
    '$error.name: failed at once with the reason in the view, nothing to deliver',
    async ({ error, reason }) => {
      sts.on(AssumeRoleCommand).rejects(error);
      const id = await autoApproved(`sts ${error.name}`);
      const view = await untilStatus(ctx.stack, id, pipeline, 'failed');
      expect(String(view.statusReason)).toMatch(reason);
      // not retried: the error is permanent
      expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
      const creds = await api(ctx.stack, 'POST', `/requests/${id}/credentials`, pipeline);
      expect([409, 410]).toContain(creds.status);
      expect(JSON.stringify(creds.body)).not.toContain('ASIA');
      const audit = await api(ctx.stack, 'GET', `/requests/${id}/audit`, pipeline);
      const types = (audit.body.items as Array<{ type: string }>).map((e) => e.type);
      expect(types).toContain('request_failed');
      expect(types).not.toContain('credentials_issued');
    },
  );
});
