/**
 * POST /requests/{id}/renew through its handler and the route table: the answer's shape, the
 * problem+json of each refusal with its status, the Retry-After header of a 429, and that the
 * route is served (on AWS and locally) by the renew handler with a bearer token.
 */
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_HANDLERS } from '../../functions/handlers.ts';
import type { ApiEvent, ApiHandler, ApiResult } from '../../functions/http.ts';
import { makeRenewRequestHandler } from '../../functions/renew-request/handler.ts';
import { ROUTES } from '../../functions/routes.ts';
import { UnauthenticatedError } from '../../shared/domain/errors.ts';
import type { AccessRequest, Principal } from '../../shared/domain/types.ts';
import { fakeDeps } from '../fakes/deps.ts';
import { advance, at, REQUESTER, requestIn } from '../helpers/requests.ts';

const PRINCIPALS: Record<string, Principal> = {
  requester: REQUESTER,
  otherIssuer: { ...REQUESTER, issuer: 'https://gitlab.example.com' },
  alice: { subject: 'alice', issuer: 'https://login.example.com', claims: {}, person: 'alice' },
};

let fakes: ReturnType<typeof fakeDeps>;
let handler: ApiHandler;
let id: string;

function seed(patch: Partial<AccessRequest> = {}) {
  const stored = advance(requestIn('issued'), {
    patch: { windowSeconds: 7200, windowEndsAt: at(120 + 7200), credentialsDeliveredAt: at(130) },
    event: { type: 'credentials_delivered', actor: 'x', channel: 'api', at: at(130) },
  });
  fakes.requests.seed({ ...stored.request, ...patch }, stored.events);
  id = stored.request.id;
}

beforeEach(() => {
  fakes = fakeDeps({ now: at(600) });
  handler = makeRenewRequestHandler({
    ...fakes.deps,
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

type Answer = ApiResult & { statusCode: number; body: string; headers: Record<string, string> };
async function renew(who: string) {
  const event = {
    version: '2.0',
    routeKey: 'POST /requests/{id}/renew',
    rawPath: `/requests/${id}/renew`,
    rawQueryString: '',
    headers: { authorization: `Bearer ${who}` },
    pathParameters: { id },
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as ApiEvent;
  const result = (await handler(event, {} as Context)) as Answer;
  return {
    status: result.statusCode,
    headers: result.headers,
    body: JSON.parse(result.body) as Record<string, unknown>,
  };
}

describe('POST /requests/{id}/renew', () => {
  it('is a bearer-token route served by the renew handler', () => {
    expect(ROUTES).toContainEqual({
      method: 'POST',
      path: '/requests/{id}/renew',
      handler: 'renew-request',
      auth: 'oidc',
    });
    expect(ROUTE_HANDLERS['renew-request']).toBe(makeRenewRequestHandler);
  });

  it('answers 200 with exactly the four credential fields, never cached', async () => {
    seed();
    const { status, headers, body } = await renew('requester');
    expect(status).toBe(200);
    expect(headers['cache-control']).toBe('no-store');
    expect(body).toEqual({
      accessKeyId: 'ASIAFAKEFAKEFAKE',
      secretAccessKey: 'fake-secret',
      sessionToken: 'fake-session-token',
      expiration: at(1500),
    });
  });

  it.each([
    ['the same subject from another issuer', 'otherIssuer', {}, 403],
    ['an approver', 'alice', {}, 403],
    ['no valid token', 'nobody', {}, 401],
    ['a released request', 'requester', { status: 'released' }, 410],
    ['a request not yet delivered', 'requester', { credentialsDeliveredAt: undefined }, 409],
  ] as const)('refuses %s (token %s) with problem+json', async (_case, who, patch, status) => {
    seed(patch as Partial<AccessRequest>);
    const answer = await renew(who);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status });
    expect(answer.body).not.toHaveProperty('secretAccessKey');
  });

  it('answers 429 with Retry-After (whole seconds) within a minute of the last renewal', async () => {
    seed({ lastRenewedAt: at(575.5) });
    const answer = await renew('requester');
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('36');
    expect(answer.body).toMatchObject({
      type: 'urn:jitvend:problem:too-many-requests',
      title: 'Too Many Requests',
      status: 429,
      retryAfterSeconds: 36,
      requestStatus: 'issued',
    });
  });
});
