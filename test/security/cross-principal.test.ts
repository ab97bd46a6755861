/**
 * Named attacks across principals, over HTTP against the local stack: a pipeline that may
 * request the same profile (so it passes every requester rule) goes after another
 * pipeline's requests — reading, cancelling, taking credentials, reading usage and audit,
 * revoking, releasing, deciding, listing with the other's cursor, reusing its
 * idempotency key — and the owner's own credential fetch is raced and replayed. Each
 * attack has its expected refusal, and the victim's request is checked unharmed after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-victim';
const HAS_RELEASE = ROUTES.some((r) => r.method === 'POST' && r.path === '/requests/{id}/release');

const t = { victim: '', attacker: '', alice: '' };
const ids = { issued: '', pending: '', second: '' };
const call = (method: string, path: string, token?: string, body?: unknown) =>
  api(ctx.stack, method, path, token, body);

beforeAll(async () => {
  const sign = (claims: Record<string, unknown>) => ctx.stack.oidc.sign(claims);
  // both pipelines are requesters of orders-it (repository acme/orders): only the principal differs
  t.victim = await sign({
    sub: 'repo:acme/orders:ref:refs/heads/main',
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  });
  t.attacker = await sign({
    sub: 'repo:acme/orders:ref:refs/heads/attacker',
    repository: 'acme/orders',
    ref: 'refs/heads/attacker',
  });
  t.alice = await sign({ sub: 'user:alice', email: 'alice@example.com' });
  const readOnly = {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  };
  const create = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${ctx.stack.url}/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.victim}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const created = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(created)).toBe(201);
    return created.id as string;
  };
  ids.issued = await create({ ...readOnly, reason: 'victim issued' }, { 'idempotency-key': 'victim-key-1' });
  ids.second = await create({ ...readOnly, reason: 'victim second' });
  // a write permission: not auto-approved, waits for people
  ids.pending = await create({
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
    reason: 'victim pending',
  });
  await untilStatus(ctx.stack, ids.issued, t.victim, 'issued');
  await untilStatus(ctx.stack, ids.second, t.victim, 'issued');
  // the pending request's workflow has notified its approvers: its trail only grows by what we do
  for (let i = 0; i < 100; i++) {
    const events = await ctx.stack.runtime.store.listAudit(ids.pending);
    if (events.some((e) => e.type === 'approvers_notified')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  // whatever the attacks did, the victim's issued request is still the victim's, issued
  const view = await call('GET', `/requests/${ids.issued}`, t.victim);
  expect(view.status).toBe(200);
});

/** The refusal every cross-principal attempt gets: 403 (or 404, never revealing), a problem document, no data. */
function expectRefused(res: { status: number; body: Record<string, unknown> }) {
  expect([403, 404], JSON.stringify(res.body)).toContain(res.status);
  expect(res.body).toMatchObject({ status: res.status, detail: expect.any(String) });
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/victim (issued|pending|second)/);
  expect(text).not.toMatch(/ASIA[A-Z0-9]{16}|sessionToken|secretAccessKey/);
}

async function auditLength(id: string) {
  return (await ctx.stack.runtime.store.listAudit(id)).length;
}

describe('attacks across principals', () => {
  it('A1 reading another pipeline’s request: refused; its approver can read it', async () => {
    expectRefused(await call('GET', `/requests/${ids.pending}`, t.attacker));
    expect((await call('GET', `/requests/${ids.pending}`, t.alice)).status).toBe(200);
  });

  it('A2 long-polling another pipeline’s request: refused at once, never held', async () => {
    const started = Date.now();
    expectRefused(await call('GET', `/requests/${ids.pending}?waitSeconds=20`, t.attacker));
    // a hold would take the full 20 s; the refusal comes before any wait (bound generous for a loaded machine)
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('A3 cancelling another pipeline’s pending request: refused, still pending, no audit event', async () => {
    const before = await auditLength(ids.pending);
    expectRefused(await call('POST', `/requests/${ids.pending}/cancel`, t.attacker));
    expect((await call('GET', `/requests/${ids.pending}`, t.victim)).body.status).toBe('pending_approval');
    expect(await auditLength(ids.pending)).toBe(before);
  });

  it('A4 taking another pipeline’s credentials: refused, and the owner still gets them once', async () => {
    const stolen = await call('POST', `/requests/${ids.second}/credentials`, t.attacker);
    expectRefused(stolen);
    const view = await call('GET', `/requests/${ids.second}`, t.victim);
    expect(view.body.credentialsDelivered).toBe(false);
  });

  it('A5 reading another pipeline’s usage: refused', async () => {
    expectRefused(await call('GET', `/requests/${ids.issued}/usage`, t.attacker));
  });

  it('A6 reading another pipeline’s audit trail: refused', async () => {
    expectRefused(await call('GET', `/requests/${ids.issued}/audit`, t.attacker));
  });

  it('A7 revoking another pipeline’s issued request (a pipeline is no approver): refused, still issued', async () => {
    expectRefused(await call('POST', `/requests/${ids.issued}/revoke`, t.attacker));
    expect((await call('GET', `/requests/${ids.issued}`, t.victim)).body.status).toBe('issued');
  });

  it('A8 deciding on another pipeline’s request: refused, and nothing written to its trail', async () => {
    const before = await auditLength(ids.pending);
    const res = await call('POST', `/requests/${ids.pending}/decision`, t.attacker, { decision: 'approve' });
    expect([401, 403, 404]).toContain(res.status);
    expect((await call('GET', `/requests/${ids.pending}`, t.victim)).body.status).toBe('pending_approval');
    expect(await auditLength(ids.pending)).toBe(before);
  });

  it('A9 listing: only one’s own requests, whatever the status filter', async () => {
    for (const query of ['', '?status=issued', '?status=pending_approval', '?limit=100']) {
      const page = await call('GET', `/requests${query}`, t.attacker);
      expect(page.status).toBe(200);
      const listed = (page.body.items as Array<{ id: string }>).map((r) => r.id);
      expect(listed).not.toContain(ids.issued);
      expect(listed).not.toContain(ids.pending);
    }
  });

  it('A10 listing with another pipeline’s cursor: refused or empty of theirs, never their next page', async () => {
    const first = await call('GET', '/requests?limit=1', t.victim);
    const cursor = first.body.nextCursor as string;
    expect(cursor, 'the victim has more than one page').toEqual(expect.any(String));
    const stolen = await call('GET', `/requests?limit=1&cursor=${encodeURIComponent(cursor)}`, t.attacker);
    if (stolen.status === 200) {
      const listed = (stolen.body.items as Array<{ requester: string }>).map((r) => r.requester);
      expect(listed.every((r) => r === 'repo:acme/orders:ref:refs/heads/attacker')).toBe(true);
    } else {
      expect(stolen.status).toBe(400);
      expect(String(stolen.body.detail)).toMatch(/cursor/);
    }
  });

  it('A11 reusing another pipeline’s Idempotency-Key: one’s own new request, never theirs', async () => {
    const res = await fetch(`${ctx.stack.url}/requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.attacker}`,
        'content-type': 'application/json',
        'idempotency-key': 'victim-key-1',
      },
      body: JSON.stringify({
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
        reason: 'victim issued',
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(201);
    expect(body.id).not.toBe(ids.issued);
    expect(body.requester).toBe('repo:acme/orders:ref:refs/heads/attacker');
  });

  it('A12 two credential fetches by the owner at once: exactly one 200, the other 410', async () => {
    const both = await Promise.all([
      call('POST', `/requests/${ids.second}/credentials`, t.victim),
      call('POST', `/requests/${ids.second}/credentials`, t.victim),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 410]);
    const gone = both.find((r) => r.status === 410)!;
    expect(JSON.stringify(gone.body)).not.toMatch(/ASIA|sessionToken"\s*:\s*"/);
  });

  it('A13 replaying a delivered credential fetch (same token, same request): 410, no credentials', async () => {
    const first = await call('POST', `/requests/${ids.issued}/credentials`, t.victim);
    expect(first.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const replay = await call('POST', `/requests/${ids.issued}/credentials`, t.victim);
      expect(replay.status).toBe(410);
      expect(JSON.stringify(replay.body)).not.toContain(String(first.body.accessKeyId));
    }
  });

  // generated only once POST /requests/{id}/release is a route
  if (HAS_RELEASE) {
    it('A14 releasing another pipeline’s issued request: refused, still issued', async () => {
      expectRefused(await call('POST', `/requests/${ids.issued}/release`, t.attacker));
      expect((await call('GET', `/requests/${ids.issued}`, t.victim)).body.status).toBe('issued');
    });
  }

  it('A15 another pipeline’s request id under a forged path (encoded slashes, case, padding): no access', async () => {
    for (const path of [
      `/requests/${ids.pending}%2Fcancel`,
      `/requests/${ids.pending.toUpperCase()}`,
      `/requests/${ids.pending}%20`,
      `/requests/%2e%2e/requests/${ids.pending}`,
    ]) {
      const res = await call('GET', path, t.attacker);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(JSON.stringify(res.body)).not.toContain('victim pending');
    }
  });
});
