/**
 * Release on the local stack (in process), over HTTP: the requester ends its own issued
 * request; the session is denied exactly like a revocation (the local IAM stand-in holds the
 * deny for its source identity until the workflow's Expire step removes it), the credentials
 * are gone, the approvers who were asked are told on Slack, and the local page shows it.
 */
import { describe, expect, it } from 'vitest';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const MAIN = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
};
const BRANCH = {
  sub: 'repo:acme/orders:ref:refs/heads/feature',
  repository: 'acme/orders',
  ref: 'refs/heads/feature',
};
// the workflow's WaitUntilExpiry is held long; the test plays its end by running the Expire step
// on a clock moved past the session's expiry (plus the deny's grace)
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 }, clock });
const call = (method: string, path: string, token: string, body?: unknown) =>
  api(ctx.stack, method, path, token, body);

function denyFor(id: string): unknown {
  const policy = ctx.stack.iam.rolePolicies()[ROLE];
  if (!policy) return undefined;
  const statements = (JSON.parse(policy) as { Statement: Array<Record<string, unknown>> }).Statement;
  return statements.find((s) => {
    const ids = (s.Condition as { StringEquals?: Record<string, string | string[]> } | undefined)
      ?.StringEquals?.['aws:SourceIdentity'];
    return Array.isArray(ids) ? ids.includes(`jitvend-${id}`) : ids === `jitvend-${id}`;
  });
}

describe('POST /requests/{id}/release', () => {
  it('ends an issued request: released, denied like a revocation, credentials gone, audited; the deny goes after expiry', async () => {
    const pipeline = await ctx.stack.oidc.sign(MAIN);
    const otherPipeline = await ctx.stack.oidc.sign(BRANCH);
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const created = await call('POST', '/requests', pipeline, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
      reason: 'release test',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const issued = await untilStatus(ctx.stack, id, pipeline, 'issued');
    expect(denyFor(id)).toBeUndefined();

    // nobody else may end it: not another pipeline of the same repository, not an approver
    expect((await call('POST', `/requests/${id}/release`, otherPipeline)).status).toBe(403);
    expect((await call('POST', `/requests/${id}/release`, alice)).status).toBe(403);

    const released = await call('POST', `/requests/${id}/release`, pipeline);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({
      id,
      status: 'released',
      statusReason: 'released by the requester',
    });
    expect(denyFor(id)).toMatchObject({ Effect: 'Deny', Action: '*', Resource: '*' });
    expect(ctx.stack.iam.isDenied(ROLE, `jitvend-${id}`, new Date())).toBe(true);

    const credentials = await call('POST', `/requests/${id}/credentials`, pipeline);
    expect(credentials.status).toBe(410);
    expect(credentials.body.detail).toContain('released');
    const again = await call('POST', `/requests/${id}/release`, pipeline);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ requestStatus: 'released' });
    // an approver cannot revoke what is already released
    expect((await call('POST', `/requests/${id}/revoke`, alice)).status).toBe(409);
    expect((await call('GET', `/requests/${id}`, pipeline)).body.status).toBe('released');

    // at the session's expiry the deny stays (expiry + the deny's grace), as for a revocation
    offsetMs = new Date(String(issued.expiresAt)).getTime() - Date.now();
    const atExpiry = await workflowSteps(ctx.stack.runtime).expire({ requestId: id });
    expect(atExpiry.nextAt).toBeDefined();
    expect(denyFor(id)).toBeDefined();
    // what the workflow runs once the deny has lapsed: the deny goes, the status stays
    offsetMs = new Date(atExpiry.nextAt!).getTime() - Date.now();
    expect(await workflowSteps(ctx.stack.runtime).expire({ requestId: id })).toEqual({});
    expect(denyFor(id)).toBeUndefined();
    offsetMs = 0;
    expect((await call('GET', `/requests/${id}`, pipeline)).body.status).toBe('released');
    const audit = await call('GET', `/requests/${id}/audit`, pipeline);
    const events = audit.body.items as Array<{ type: string; actor: string; from?: string; to?: string }>;
    const releasedEvent = events.find((e) => e.type === 'request_released');
    expect(releasedEvent).toMatchObject({
      actor: `${ctx.stack.oidc.issuerUrl}#${MAIN.sub}`,
      from: 'issued',
      to: 'released',
    });
    expect(events.map((e) => e.type).at(-1)).toBe('revocation_released');
  });

  it('refuses a request that is not issued yet (409), and leaves it waiting', async () => {
    const pipeline = await ctx.stack.oidc.sign(BRANCH);
    const created = await call('POST', '/requests', pipeline, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
      reason: 'waits for a human',
    });
    const id = created.body.id as string;
    expect(created.body.status).toBe('pending_approval');
    const early = await call('POST', `/requests/${id}/release`, pipeline);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ requestStatus: 'pending_approval' });
    expect(String(early.body.detail)).toContain('only an issued request can be released');
    expect((await call('GET', `/requests/${id}`, pipeline)).body.status).toBe('pending_approval');
    expect((await call('POST', `/requests/${id}/cancel`, pipeline)).status).toBe(200);
  });

  it('tells the approvers who approved it on Slack, and the local page shows it released', async () => {
    const pipeline = await ctx.stack.oidc.sign(BRANCH);
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const created = await call('POST', '/requests', pipeline, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
      reason: 'human approved, then released',
    });
    const id = created.body.id as string;
    await untilStatus(ctx.stack, id, pipeline, 'pending_approval');
    const decided = await call('POST', `/requests/${id}/decision`, alice, { decision: 'approve' });
    expect(decided.status).toBe(200);
    await untilStatus(ctx.stack, id, pipeline, 'issued');

    expect((await call('POST', `/requests/${id}/release`, pipeline)).status).toBe(200);
    const notices = ctx.stack.outbox
      .list()
      .filter(
        (m) => m.requestId === id && m.channel === 'slack' && m.text.startsWith('Released by the requester'),
      );
    expect(notices.map((m) => m.to).sort()).toEqual(['U0ALICE01', 'U0BOB0001']);
    const audit = await call('GET', `/requests/${id}/audit`, pipeline);
    const last = (audit.body.items as Array<{ type: string; detail?: Record<string, unknown> }>).at(-1);
    expect(last).toMatchObject({ type: 'approvers_notified', detail: { about: 'released' } });

    const page = await fetch(`${ctx.stack.url}/`);
    const html = await page.text();
    expect(html).toContain(id);
    expect(html).toContain('<span class="badge released">released</span>');
  });
});
