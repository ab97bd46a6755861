/**
 * GET /requests/{id}/usage through its handler: who may see it, 409 before issue, and the
 * window the usage source is asked for. The source is the local stack's CloudTrail stand-in
 * reading the hand-written fixtures of test/events/cloudtrail.
 */
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiHandler, ApiResult } from '../../functions/http.ts';
import { makeRequestUsageHandler } from '../../functions/request-usage/handler.ts';
import { LocalCloudTrailStandIn } from '../../shared/adapters/cloudtrail/local-stand-in.ts';
import { loadConfig } from '../../shared/config.ts';
import { UnauthenticatedError } from '../../shared/domain/errors.ts';
import type { UsageSource } from '../../shared/domain/ports.ts';
import type { AccessRequest, Principal } from '../../shared/domain/types.ts';
import type { UsageReport } from '../../shared/domain/usage/report.ts';
import type { UsageWindow } from '../../shared/domain/usage/session-records.ts';
import { InMemoryRequestRepository } from '../fakes/request-repository.ts';

const ID = '3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18';
const REQUESTER = 'repo:acme/orders:ref:refs/heads/main';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1';
const FIXTURES = fileURLToPath(new URL('../events/cloudtrail', import.meta.url));

const PRINCIPALS: Record<string, Principal> = {
  requester: { subject: REQUESTER, issuer: 'https://token.actions.githubusercontent.com', claims: {} },
  alice: { subject: 'alice@example.com', issuer: 'https://idp', claims: {}, person: 'alice' },
  carol: { subject: 'carol@example.com', issuer: 'https://idp', claims: {}, person: 'carol' },
  stranger: { subject: 'repo:acme/other:ref:refs/heads/main', issuer: 'https://idp', claims: {} },
};

function issued(patch: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: ID,
    profile: 'orders-it',
    requester: REQUESTER,
    requesterClaims: {},
    status: 'expired',
    permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [TABLE] }],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'integration tests',
    approvals: [],
    approvalRoute: { kind: 'auto', rule: 0 },
    createdAt: '2026-03-01T11:59:50.000Z',
    updatedAt: '2026-03-01T12:15:02.000Z',
    approvalDeadline: '2026-03-01T12:29:50.000Z',
    issuedAt: '2026-03-01T12:00:02.000Z',
    expiresAt: '2026-03-01T12:15:02.000Z',
    version: 4,
    auditHead: 'x',
    auditCount: 4,
    ...patch,
  };
}

let requests: InMemoryRequestRepository;
let asked: Array<{ sourceIdentity: string; window: UsageWindow }>;
let handler: ApiHandler;

beforeEach(() => {
  requests = new InMemoryRequestRepository();
  requests.seed(issued());
  asked = [];
  const standIn = new LocalCloudTrailStandIn(FIXTURES);
  const usage: UsageSource = {
    eventsFor: (sourceIdentity, window) => {
      asked.push({ sourceIdentity, window });
      return standIn.eventsFor(sourceIdentity, window);
    },
  };
  handler = makeRequestUsageHandler({
    config: loadConfig('jitvend.config.yaml'),
    store: requests,
    usage,
    clock: { now: () => new Date('2026-03-02T00:00:00.000Z') },
    verifier: {
      verify: async (authorization: string | undefined) => {
        const principal = PRINCIPALS[authorization?.replace(/^Bearer /, '') ?? ''];
        if (!principal) throw new UnauthenticatedError('bad token');
        return principal;
      },
    },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
});

type Answer = ApiResult & { statusCode: number; body: string };
async function get(who: string, id = ID): Promise<{ status: number; body: Record<string, unknown> }> {
  const event = {
    version: '2.0',
    routeKey: 'GET /requests/{id}/usage',
    rawPath: `/requests/${id}/usage`,
    rawQueryString: '',
    headers: { authorization: `Bearer ${who}` },
    pathParameters: { id },
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET' } },
  } as unknown as ApiEvent;
  const result = (await handler(event, {} as Context)) as Answer;
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

describe('GET /requests/{id}/usage', () => {
  it('answers the requester with the session calls against the grant', async () => {
    const { status, body } = await get('requester');
    expect(status).toBe(200);
    const report = body as unknown as UsageReport;
    expect(report.sourceIdentity).toBe(`jitvend-${ID}`);
    expect(report.source).toBe(`local CloudTrail stand-in (${FIXTURES}/*.json)`);
    expect(report.assumeRole?.at).toBe('2026-03-01T12:00:01Z');
    expect(report.calls).toHaveLength(9);
    expect(report.denied.map((d) => d.action)).toEqual(['dynamodb:DeleteItem']);
    // only GetItem and PutItem were granted here: the suggestion never leaves the grant
    expect(report.suggestion).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [TABLE] },
    ]);
    expect(report.notes).toContain(
      `dynamodb:Query on ${TABLE}/index/by-customer succeeded although the grant does not seem to allow it: left out of the suggestion`,
    );
  });

  it('asks the source for the session window, with the profile role to find AssumeRole', async () => {
    await get('requester');
    expect(asked).toEqual([
      {
        sourceIdentity: `jitvend-${ID}`,
        window: {
          from: new Date('2026-03-01T11:55:02.000Z'),
          to: new Date('2026-03-01T12:20:02.000Z'),
          assumeRole: {
            roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
            from: new Date('2026-03-01T11:55:02.000Z'),
            to: new Date('2026-03-01T12:05:02.000Z'),
          },
        },
      },
    ]);
  });

  it('answers an approver of the profile', async () => {
    expect((await get('alice')).status).toBe(200);
  });

  it.each(['carol', 'stranger'])('refuses %s (neither requester nor approver) with 403', async (who) => {
    const { status, body } = await get(who);
    expect(status).toBe(403);
    expect(asked).toEqual([]);
    expect(body.detail).toContain('neither the requester nor an approver');
  });

  it.each(['pending_approval', 'denied', 'failed'] as const)(
    'is 409 for a %s request that was never issued',
    async (s) => {
      const { issuedAt: _, expiresAt: __, ...neverIssued } = issued({ status: s });
      requests.seed(neverIssued);
      const { status, body } = await get('requester');
      expect(status).toBe(409);
      expect(body).toMatchObject({
        status: 409,
        requestStatus: s,
        detail: expect.stringContaining('never issued'),
      });
      expect(asked).toEqual([]);
    },
  );

  it('is 404 for an unknown request and 401 without a token', async () => {
    expect((await get('requester', 'no-such-request')).status).toBe(404);
    expect((await get('nobody')).status).toBe(401);
  });
});
