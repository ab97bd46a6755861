/**
 * The approval workflow's definition (the one CDK deploys) run locally through an approval
 * window, with the real steps on the in-process local stack (DynamoDB Local, the STS and IAM
 * stand-ins) and virtual time: every Wait is shortened, and when Expire runs the stack's clock
 * jumps to the instant the definition waited for (`$.issue.windowEndsAt`, then
 * `$.expiry.nextAt`), as Step Functions would wake it. The test acts inside the window while
 * the issue step holds (its request already issued): deliveries, renewals, a revocation. The
 * clock stands still otherwise, so every instant is exact.
 */
import { describe, expect, it } from 'vitest';
import { denyUntil } from '../../shared/domain/revocation.ts';
import { api } from '../helpers/in-process-stack.ts';
import { useVirtualTimeStack } from '../helpers/virtual-time-workflow.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const MAIN = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
};
const MINUTE = 60_000;

const { ctx, clock, workflow: virtual } = useVirtualTimeStack();
const expireCallsOf = (id: string) => virtual().expireCalls.filter((c) => c.requestId === id);

const pipeline = () => ctx.stack.oidc.sign(MAIN);
const call = async (method: string, path: string, body?: unknown) =>
  api(ctx.stack, method, path, await pipeline(), body);
/** moves the stack's clock to `ms` after `fromIso` */
const moveTo = (fromIso: string, ms: number) => {
  clock.ms = Date.parse(fromIso) + ms;
};

async function issuedRequest(windowSeconds: number): Promise<Record<string, unknown>> {
  const created = await call('POST', '/requests', {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    durationSeconds: 900,
    windowSeconds,
    reason: 'window workflow test',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await virtual().issued(id);
  return (await call('GET', `/requests/${id}`)).body;
}

describe('the definition run locally through an approval window', () => {
  it('stays issued past the first session, renews inside the window, and expires at the window’s end', async () => {
    const issued = await issuedRequest(7200);
    const id = issued.id as string;
    const issuedAt = issued.issuedAt as string;
    expect(issued).toMatchObject({ windowSeconds: 7200, durationSeconds: 900 });
    expect(Date.parse(issued.expiresAt as string)).toBe(Date.parse(issuedAt) + 900_000);
    // whole seconds: the Wait truncates milliseconds
    expect(issued.windowEndsAt).toBe(
      new Date(Math.floor((Date.parse(issuedAt) + 7_200_000) / 1000) * 1000).toISOString(),
    );

    expect((await call('POST', `/requests/${id}/credentials`)).status).toBe(200);
    // 90 minutes in: the first session expired an hour and a quarter ago, the window holds
    moveTo(issuedAt, 90 * MINUTE);
    expect((await call('GET', `/requests/${id}`)).body.status).toBe('issued');
    const renewed = await call('POST', `/requests/${id}/renew`);
    expect(renewed.status).toBe(200);
    const expiration = renewed.body.expiration as string;
    expect(Date.parse(expiration)).toBe(Date.parse(issuedAt) + 105 * MINUTE);
    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({
      status: 'issued',
      expiresAt: expiration,
    });

    virtual().release(id);
    await virtual().runner.idle();
    const calls = expireCallsOf(id);
    // Expire ran once, at the window's end, not at either session's expiry
    expect(calls).toEqual([{ requestId: id, at: issued.windowEndsAt }]);
    const after = await call('GET', `/requests/${id}`);
    expect(after.body.status).toBe('expired');
    const types = ((await call('GET', `/requests/${id}/audit`)).body.items as { type: string }[]).map(
      (e) => e.type,
    );
    expect(types).toEqual([
      'request_created',
      'request_approved',
      'credentials_issued',
      'credentials_delivered',
      'credentials_renewed',
      'request_expired',
    ]);
    expect((await call('POST', `/requests/${id}/renew`)).status).toBe(410);
  });

  it('a revocation after a renewal denies until the renewed session’s expiry, past the window’s end, then the deny goes', async () => {
    const issued = await issuedRequest(3600);
    const id = issued.id as string;
    const issuedAt = issued.issuedAt as string;
    const sourceIdentity = `jitvend-${id}`;
    expect((await call('POST', `/requests/${id}/credentials`)).status).toBe(200);

    // 44 minutes in: 16 minutes of window left, a whole 15-minute session fits
    moveTo(issuedAt, 44 * MINUTE);
    const renewed = await call('POST', `/requests/${id}/renew`);
    expect(renewed.status).toBe(200);
    const lastExpiry = renewed.body.expiration as string;
    expect(Date.parse(lastExpiry)).toBe(Date.parse(issuedAt) + 59 * MINUTE);

    moveTo(issuedAt, 50 * MINUTE);
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    expect((await api(ctx.stack, 'POST', `/requests/${id}/revoke`, alice, { reason: 'leaked' })).status).toBe(
      200,
    );
    expect((await call('POST', `/requests/${id}/renew`)).status).toBe(410);
    // denied until the LAST session's expiry plus the grace: well past the first session's
    const until = denyUntil(lastExpiry);
    expect(ctx.stack.iam.isDenied(ROLE, sourceIdentity, new Date(Date.parse(issuedAt) + 25 * MINUTE))).toBe(
      true,
    );
    expect(ctx.stack.iam.isDenied(ROLE, sourceIdentity, new Date(Date.parse(until) - 1000))).toBe(true);
    expect(ctx.stack.iam.isDenied(ROLE, sourceIdentity, new Date(until))).toBe(false);

    virtual().release(id);
    await virtual().runner.idle();
    // at the window's end the deny still holds (the renewed session lives 4 more minutes):
    // Expire asks to be woken when it lapses, then removes it
    expect(expireCallsOf(id)).toEqual([
      { requestId: id, at: issued.windowEndsAt, nextAt: until },
      { requestId: id, at: new Date(until).toISOString() },
    ]);
    const after = (await call('GET', `/requests/${id}`)).body;
    expect(after).toMatchObject({ status: 'revoked', expiresAt: lastExpiry });
    expect(ctx.stack.iam.rolePolicies()[ROLE] ?? '').not.toContain(sourceIdentity);
    const types = ((await call('GET', `/requests/${id}/audit`)).body.items as { type: string }[]).map(
      (e) => e.type,
    );
    expect(types.slice(-3)).toEqual(['credentials_renewed', 'request_revoked', 'revocation_released']);
  });
});
