/**
 * A failed cold start is not cached: one transient Secrets Manager error while the AWS
 * runtime is built fails that invocation only; the next call builds the runtime again
 * (Secrets Manager mocked with aws-sdk-client-mock).
 */
import {
  GetSecretValueCommand,
  InternalServiceError,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../functions/http.ts';
import { handler as openApiHandler } from '../../functions/openapi/handler.ts';
import { awsRuntimeOnce, type Runtime, withLambdaContext } from '../../functions/runtime.ts';

const secrets = mockClient(SecretsManagerClient);
const APPROVAL_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jitvend-approval-key-AbCdEf';

/** The AWS wiring as every handler module builds it: once per container, on first use. */
let getRuntime: () => Promise<Runtime>;

beforeEach(() => {
  getRuntime = awsRuntimeOnce();
  vi.stubEnv('TABLE_NAME', 'jitvend-requests');
  vi.stubEnv('STATE_MACHINE_ARN', 'arn:aws:states:us-east-1:123456789012:stateMachine:jitvend-approval');
  vi.stubEnv(
    'CREDENTIALS_KEY_ID',
    'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  );
  vi.stubEnv('PUBLIC_URL', 'https://jitvend.example.com');
  vi.stubEnv('JITVEND_CONFIG', new URL('../../jitvend.config.yaml', import.meta.url).pathname);
  vi.stubEnv('APPROVAL_TOKEN_KEY_SECRET_ARN', APPROVAL_KEY_ARN);
  vi.stubEnv('AWS_REGION', 'us-east-1');
});
afterEach(() => {
  secrets.reset();
  vi.unstubAllEnvs();
});

describe('the AWS wiring: the cold start is retried, never cached failed', () => {
  it('first call fails on a transient Secrets Manager error, the second succeeds, the third reuses it', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ message: 'Service unavailable', $metadata: {} }))
      .resolves({ SecretString: 'a-generated-approval-key-secret' });

    await expect(getRuntime()).rejects.toThrow(/Service unavailable/);
    const runtime = await getRuntime();
    expect(runtime.secrets.approvalTokenKey).toHaveLength(32);
    expect(await getRuntime()).toBe(runtime);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: APPROVAL_KEY_ARN });
  });

  it('concurrent first calls share one build (one Secrets Manager read)', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'a-generated-approval-key-secret' });
    const [a, b] = await Promise.all([getRuntime(), getRuntime()]);
    expect(a).toBe(b);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('a route whose wiring failed answers 500; its next invocation wires again and answers', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ message: 'Service unavailable', $metadata: {} }))
      .resolves({ SecretString: 'a-generated-approval-key-secret' });
    const event: ApiEvent = {
      version: '2.0',
      routeKey: 'GET /openapi.json',
      rawPath: '/openapi.json',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'api',
        domainName: 'jitvend.example.com',
        domainPrefix: 'jitvend',
        http: {
          method: 'GET',
          path: '/openapi.json',
          protocol: 'HTTP/1.1',
          sourceIp: '192.0.2.1',
          userAgent: 't',
        },
        requestId: 'r',
        routeKey: 'GET /openapi.json',
        stage: '$default',
        time: '29/Nov/2026:10:00:00 +0000',
        timeEpoch: 0,
      },
    };
    const failed = await openApiHandler(event);
    expect(failed.statusCode).toBe(500);
    expect(String(failed.body)).not.toMatch(/Service unavailable/);
    const answered = await openApiHandler(event);
    expect(answered.statusCode).toBe(200);
    expect(JSON.parse(String(answered.body)).servers).toEqual([{ url: 'https://jitvend.example.com' }]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it("log lines carry the invocation's Lambda context (as Powertools' injectLambdaContext would)", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'a-generated-approval-key-secret' });
    const runtime = await getRuntime();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: 'jitvend-create-request',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:jitvend-create-request',
      memoryLimitInMB: '1024',
      awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      logGroupName: '/aws/lambda/jitvend-create-request',
      logStreamName: 'stream',
      getRemainingTimeInMillis: () => 25_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await withLambdaContext(context);
      runtime.logger.info('hello from the handler');
    } finally {
      write.mockRestore();
    }
    const line = JSON.parse(lines.find((l) => l.includes('hello from the handler')) ?? '{}');
    expect(line).toMatchObject({
      message: 'hello from the handler',
      service: 'jitvend',
      function_name: 'jitvend-create-request',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    });
  });
});
