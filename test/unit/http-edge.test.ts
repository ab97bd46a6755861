/**
 * The HTTP edge's answers when AWS or time runs short (test/security/KNOWN-GAPS.md #4, #5):
 * throttling that outlasted the SDK's retries is a 503 the caller may retry, and a route still
 * working when the Lambda's time is up answers a 503 problem, never Lambda's bare error.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiEvent, errorResponse, publicRoute, type RouteDeps } from '../../functions/http.ts';

const logged: string[] = [];
const runtime: RouteDeps = {
  logger: {
    info: () => undefined,
    warn: (message: string) => {
      logged.push(message);
    },
    error: (message: string) => {
      logged.push(message);
    },
  },
};

function context(remainingMs: number): Context {
  const started = Date.now();
  return { getRemainingTimeInMillis: () => remainingMs - (Date.now() - started) } as unknown as Context;
}

const event = { headers: {}, body: undefined, isBase64Encoded: false } as unknown as ApiEvent;

afterEach(() => {
  logged.length = 0;
});

describe('the HTTP edge under pressure', () => {
  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'exceeded', $metadata: {} }),
    ],
    ['ThrottlingException', Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' })],
    [
      'an SDK error marked as throttling',
      Object.assign(new Error('slow down'), { name: 'SlowDown', $retryable: { throttling: true } }),
    ],
  ])('%s is a 503 problem with Retry-After, naming no AWS internals', (_name, error) => {
    const result = errorResponse(error, runtime);
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('2');
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    const body = JSON.parse(String(result.body));
    expect(body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(String(result.body)).not.toMatch(/Exception|exceeded|rate|slow down/i);
    expect(logged).toEqual(['throttled by AWS']);
  });

  it('any other unexpected error stays a bare 500 with an incident id', () => {
    const result = errorResponse(new Error('table jitvend-requests is on fire'), runtime);
    expect(result.statusCode).toBe(500);
    expect(String(result.body)).not.toContain('fire');
  });

  it('a route still working when its time runs out answers 503, not a bare 500', async () => {
    const handler = publicRoute(runtime, () => new Promise(() => undefined));
    const result = await handler(event, context(60));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(String(result.body))).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(result.headers?.['retry-after']).toBe('2');
  });
});
