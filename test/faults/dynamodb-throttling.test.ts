/**
 * DynamoDB throttling, injected at the store's own client (a middleware inside the SDK's
 * retry loop answers ProvisionedThroughputExceededException or ThrottlingException before
 * the call reaches DynamoDB Local): short bursts are retried and nobody notices; sustained
 * throttling (an outage) is answered 503 with a problem document, never a 500 and never
 * internals (error names, table names, stack traces), and nothing half-done is left behind.
 */
import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-throttle';

/** What the injector does to the next attempts: pass, or throttle every attempt or one in two. */
const fault = {
  mode: 'off' as 'off' | 'every' | 'alternate',
  kind: 'provisioned' as 'provisioned' | 'throttling',
  attempts: 0,
  throttled: 0,
};

function throttleError() {
  const $metadata = { httpStatusCode: 400, requestId: 'throttle-test', attempts: 1, totalRetryDelay: 0 };
  return fault.kind === 'provisioned'
    ? new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        $metadata,
      })
    : new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata });
}

let pipeline: string;
beforeAll(async () => {
  ctx.stack.documentClient.middlewareStack.add(
    (next) => async (args) => {
      if (fault.mode !== 'off') {
        fault.attempts++;
        if (fault.mode === 'every' || fault.attempts % 2 === 1) {
          fault.throttled++;
          throw throttleError();
        }
      }
      return next(args);
    },
    // the deserialize step runs inside the retry middleware (finalizeRequest): each attempt passes here
    { step: 'deserialize', name: 'faultTestThrottle', priority: 'low' },
  );
  pipeline = await ctx.stack.oidc.sign({
    sub: 'repo:acme/orders:ref:refs/heads/main',
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  });
});
afterEach(() => {
  fault.mode = 'off';
  fault.attempts = 0;
  fault.throttled = 0;
});

const body = (reason: string) => ({
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  reason,
});

describe('DynamoDB throttling', () => {
  it.each(['provisioned', 'throttling'] as const)(
    'every other attempt throttled (%s): retried, the whole flow succeeds',
    async (kind) => {
      fault.kind = kind;
      fault.mode = 'alternate';
      const created = await api(ctx.stack, 'POST', '/requests', pipeline, body(`burst ${kind}`));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.id as string;
      await untilStatus(ctx.stack, id, pipeline, 'issued');
      expect((await api(ctx.stack, 'POST', `/requests/${id}/credentials`, pipeline)).status).toBe(200);
      expect((await api(ctx.stack, 'GET', '/requests?limit=5', pipeline)).status).toBe(200);
      expect(fault.throttled).toBeGreaterThan(3);
    },
  );
});

describe('DynamoDB throttling that lasts', () => {
  it('sustained throttling: 503 problem documents without internals; nothing half-created', async () => {
    const created = await api(ctx.stack, 'POST', '/requests', pipeline, body('before the outage'));
    expect(created.status).toBe(201);
    const existing = created.body.id as string;
    const before = await api(ctx.stack, 'GET', '/requests?limit=100', pipeline);
    fault.kind = 'provisioned';
    fault.mode = 'every';
    const answers = await Promise.all([
      api(ctx.stack, 'POST', '/requests', pipeline, body('during an outage')),
      api(ctx.stack, 'GET', `/requests/${existing}`, pipeline),
      api(ctx.stack, 'GET', '/requests', pipeline),
      api(ctx.stack, 'GET', `/requests/${existing}/audit`, pipeline),
    ]);
    fault.mode = 'off';
    for (const answer of answers) {
      const text = JSON.stringify(answer.body);
      expect(answer.status, text).toBe(503);
      expect(answer.body).toMatchObject({
        status: 503,
        title: expect.any(String),
        detail: expect.any(String),
      });
      expect(text).not.toMatch(/ProvisionedThroughput|Throttling|provisioned throughput|\.ts:\d|\n\s+at /);
      expect(text).not.toContain(ctx.stack.tableName);
    }
    // the outage over, the same calls work and the refused create left nothing behind
    const after = await api(ctx.stack, 'GET', '/requests?limit=100', pipeline);
    expect(after.status).toBe(200);
    expect((after.body.items as unknown[]).length).toBe((before.body.items as unknown[]).length);
    expect((await api(ctx.stack, 'GET', `/requests/${existing}`, pipeline)).status).toBe(200);
  });
});
