/**
 * DynamoDB throttling, injected at the store's own client (a middleware inside the SDK's
 * retry loop answers ProvisionedThroughputExceededException or ThrottlingException before
 * the call reaches DynamoDB Local): short bursts are retried and nobody notices.
 * dynamodb-outage.test.ts: throttling that lasts.
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
