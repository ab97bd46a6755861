/**
 * End to end on the local stack, over HTTP: one human approval covers a 2-hour window of
 * renewed sessions (SPEC.md "Approval window", `POST /requests/{id}/renew`). The deployed
 * workflow definition runs with the real steps on virtual time (test/helpers/
 * virtual-time-workflow.ts): no real 2-hour wait. Then the attacks on renew and on the window.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/in-process-stack.ts';
import { useVirtualTimeStack } from '../helpers/virtual-time-workflow.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
/** a feature branch writing: no auto-approve rule holds, a person decides */
const PIPELINE = {
  sub: 'repo:acme/orders:ref:refs/heads/feature',
  repository: 'acme/orders',
  ref: 'refs/heads/feature',
  actor: 'carol',
};
const OTHER_PIPELINE = { ...PIPELINE, sub: 'repo:acme/orders:ref:refs/heads/other', ref: 'refs/heads/other' };
const MINUTE = 60_000;

const { ctx, clock, workflow: virtual } = useVirtualTimeStack();

const tokens = {
  pipeline: () => ctx.stack.oidc.sign(PIPELINE),
  otherSubject: () => ctx.stack.oidc.sign(OTHER_PIPELINE),
  /** the same sub, from GitHub instead of the local issuer: someone else */
  otherIssuer: () => ctx.stack.oidc.sign({ ...PIPELINE, iss: GITHUB }),
  alice: () => ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' }),
};
type Who = keyof typeof tokens;
async function as(who: Who, method: string, path: string, body?: unknown) {
  return api(ctx.stack, method, path, await tokens[who](), body);
}
async function renew(who: Who, id: string) {
  const res = await fetch(`${ctx.stack.url}/requests/${id}/renew`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokens[who]()}` },
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Record<string, unknown>,
  };
}
const moveTo = (fromIso: string, ms: number) => {
  clock.ms = Date.parse(fromIso) + ms;
};

/** creates a request with a window, has alice approve it, and waits until it is issued */
async function approvedAndIssued(windowSeconds = 7200): Promise<Record<string, unknown>> {
  const created = await as('pipeline', 'POST', '/requests', {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
    durationSeconds: 900,
    windowSeconds,
    reason: 'long integration suite',
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'pending_approval', windowSeconds, durationSeconds: 900 });
  const id = created.body.id as string;
  // the approvers are asked first (AwaitApproval), then alice decides
  for (let i = 0; i < 200 && !ctx.stack.outbox.list().some((m) => m.requestId === id); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const decided = await as('alice', 'POST', `/requests/${id}/decision`, { decision: 'approve' });
  expect(decided.status).toBe(200);
  await virtual().issued(id);
  return (await as('pipeline', 'GET', `/requests/${id}`)).body;
}

describe('a 2-hour approval window with a human approval', () => {
  it('one approval, sessions renewed inside the window, issued until it ends, then expired', async () => {
    const issued = await approvedAndIssued(7200);
    const id = issued.id as string;
    const issuedAt = issued.issuedAt as string;
    expect(issued).toMatchObject({ status: 'issued', windowSeconds: 7200, durationSeconds: 900 });
    const windowEndsAt = issued.windowEndsAt as string;
    expect(Date.parse(windowEndsAt)).toBe(Math.floor((Date.parse(issuedAt) + 7_200_000) / 1000) * 1000);

    // the approver was shown the window
    const asked = ctx.stack.outbox.list().filter((m) => m.requestId === id);
    expect(asked.map((m) => m.channel).sort()).toEqual(['email', 'email', 'slack', 'slack']);
    for (const message of asked)
      expect(message.text).toContain('2 h (sessions of 15 min, renewed inside it)');

    // renewing before the first delivery: 409
    expect((await renew('pipeline', id)).status).toBe(409);
    const first = await as('pipeline', 'POST', `/requests/${id}/credentials`);
    expect(first.status).toBe(200);

    // an hour and a half later, well past the first session: still issued, renewable
    moveTo(issuedAt, 90 * MINUTE);
    expect((await as('pipeline', 'GET', `/requests/${id}`)).body.status).toBe('issued');
    const renewed = await renew('pipeline', id);
    expect(renewed.status).toBe(200);
    expect(Object.keys(renewed.body).sort()).toEqual([
      'accessKeyId',
      'expiration',
      'secretAccessKey',
      'sessionToken',
    ]);
    expect(renewed.body.accessKeyId).not.toBe(first.body.accessKeyId);
    expect(Date.parse(renewed.body.expiration as string)).toBe(Date.parse(issuedAt) + 105 * MINUTE);
    // the same session as the first: policy, source identity, session name and tags
    const sessions = ctx.stack.sts.sessions().filter((s) => s.sourceIdentity === `jitvend-${id}`);
    expect(sessions).toHaveLength(2);
    const [one, two] = sessions;
    expect(two).toMatchObject({
      roleArn: ROLE,
      roleSessionName: `jitvend-${id}`,
      durationSeconds: 900,
      policy: one!.policy,
      tags: one!.tags,
    });

    // ... and at 1 h 55 min the rest of the window is a session of at most 5 minutes: STS's
    // shortest is 15, so the window is over for renewals
    moveTo(issuedAt, 115 * MINUTE);
    const late = await renew('pipeline', id);
    expect(late.status).toBe(410);
    expect(late.body.detail).toContain('make a new request');

    virtual().release(id);
    await virtual().runner.idle();
    expect(virtual().expireCalls.filter((c) => c.requestId === id)).toEqual([
      { requestId: id, at: windowEndsAt },
    ]);
    const ended = (await as('pipeline', 'GET', `/requests/${id}`)).body;
    expect(ended).toMatchObject({ status: 'expired', windowEndsAt, expiresAt: renewed.body.expiration });
    expect((await renew('pipeline', id)).status).toBe(410);

    const audit = (await as('pipeline', 'GET', `/requests/${id}/audit`)).body.items as Array<
      Record<string, unknown>
    >;
    const renewal = audit.find((e) => e.type === 'credentials_renewed');
    expect(renewal).toMatchObject({
      channel: 'api',
      detail: { renewal: 1, expiration: renewed.body.expiration },
    });
    expect(JSON.stringify(audit)).not.toContain(renewed.body.secretAccessKey as string);
    expect(JSON.stringify(audit)).not.toContain(renewed.body.sessionToken as string);
  });
});

describe('attacks on renew', () => {
  it('anyone but the requester gets 403, whatever they hold: another subject, the same subject from another issuer, an approver', async () => {
    const issued = await approvedAndIssued();
    const id = issued.id as string;
    expect((await as('pipeline', 'POST', `/requests/${id}/credentials`)).status).toBe(200);
    moveTo(issued.issuedAt as string, 5 * MINUTE);
    for (const who of ['otherSubject', 'otherIssuer', 'alice'] as const) {
      const refused = await renew(who, id);
      expect(refused.status, who).toBe(403);
      expect(refused.body).not.toHaveProperty('secretAccessKey');
    }
    expect(ctx.stack.sts.sessions().filter((s) => s.sourceIdentity === `jitvend-${id}`)).toHaveLength(1);
    expect((await renew('pipeline', id)).status).toBe(200);
    virtual().release(id);
    await virtual().runner.idle();
  });

  it('twice within a minute: 429 with Retry-After, then 200 a minute later', async () => {
    const issued = await approvedAndIssued();
    const id = issued.id as string;
    expect((await as('pipeline', 'POST', `/requests/${id}/credentials`)).status).toBe(200);
    moveTo(issued.issuedAt as string, 2 * MINUTE);
    expect((await renew('pipeline', id)).status).toBe(200);
    moveTo(issued.issuedAt as string, 2 * MINUTE + 20_000);
    const again = await renew('pipeline', id);
    expect(again).toMatchObject({ status: 429, retryAfter: '40' });
    expect(again.body).toMatchObject({ status: 429, title: 'Too Many Requests', retryAfterSeconds: 40 });
    moveTo(issued.issuedAt as string, 3 * MINUTE);
    expect((await renew('pipeline', id)).status).toBe(200);
    virtual().release(id);
    await virtual().runner.idle();
  });

  it.each([
    ['released by the requester', 'pipeline', 'release'],
    ['revoked by an approver', 'alice', 'revoke'],
  ] as const)(
    'after the request was %s: 410, and the deny covers the renewed session',
    async (_case, who, action) => {
      const issued = await approvedAndIssued();
      const id = issued.id as string;
      expect((await as('pipeline', 'POST', `/requests/${id}/credentials`)).status).toBe(200);
      moveTo(issued.issuedAt as string, 30 * MINUTE);
      const renewed = await renew('pipeline', id);
      expect(renewed.status).toBe(200);
      expect((await as(who, 'POST', `/requests/${id}/${action}`)).status).toBe(200);
      const refused = await renew('pipeline', id);
      expect(refused.status).toBe(410);
      // the session renewed before the end is denied until its own expiry
      const lastExpiry = Date.parse(renewed.body.expiration as string);
      expect(ctx.stack.iam.isDenied(ROLE, `jitvend-${id}`, new Date(lastExpiry - 1000))).toBe(true);
      virtual().release(id);
      await virtual().runner.idle();
    },
  );

  it.each([
    [
      'above the profile maximum',
      14_401,
      400,
      'windowSeconds: 14401 is above the maximum of profile orders-it (14400)',
    ],
    ['below the duration', 600, 400, 'windowSeconds: 600 is below durationSeconds (900)'],
    ['not a whole number', 1800.5, 400, 'windowSeconds'],
    ['10^12', 1e12, 400, 'windowSeconds'],
    ['a string', '7200', 400, 'windowSeconds'],
  ])(
    'a body windowSeconds %s is refused (%s) naming the field, creating nothing',
    async (_case, windowSeconds, status, detail) => {
      const before = (await as('pipeline', 'GET', '/requests')).body.items as unknown[];
      const refused = await as('pipeline', 'POST', '/requests', {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
        durationSeconds: 900,
        windowSeconds,
        reason: 'too long a window',
      });
      expect(refused.status).toBe(status);
      expect(refused.body.detail).toContain(detail);
      expect((await as('pipeline', 'GET', '/requests')).body.items).toHaveLength(before.length);
    },
  );
});
