/**
 * Human decisions on the local stack (in process, real DynamoDB Local and workflow):
 * 2-of-2 approvals, the initiator refused, and 20 concurrent conflicting decisions
 * producing exactly one outcome.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_ISSUER_URL } from '../../local/oidc-issuer.ts';
import { decide } from '../../shared/domain/use-cases/decide.ts';
import { api, tableOf, untilStatus as until, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });
const call = (method: string, path: string, token: string, body?: unknown) =>
  api(ctx.stack, method, path, token, body);
const person = (name: string) => ctx.stack.oidc.sign({ sub: `user:${name}`, email: `${name}@example.com` });
const untilStatus = (id: string, token: string, wanted: string) => until(ctx.stack, id, token, wanted);

describe('human decisions', () => {
  it('needs two distinct approvers, never the initiator, then issues', async () => {
    const pipeline = await ctx.stack.oidc.sign({
      sub: 'repo:acme/payments:ref:refs/heads/fix',
      repository: 'acme/payments',
      ref: 'refs/heads/fix',
      actor: 'carol',
    });
    const created = await call('POST', '/requests', pipeline, {
      profile: 'payments-it',
      reason: 'payments tests',
    });
    expect(created.body).toMatchObject({
      initiator: 'carol',
      approval: { route: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
    });
    const id = created.body.id as string;
    const [alice, bob, carol] = await Promise.all([person('alice'), person('bob'), person('carol')]);

    const own = await call('POST', `/requests/${id}/decision`, carol, { decision: 'approve' });
    expect(own.status).toBe(403);
    expect(own.body.detail).toBe(
      'carol started this pipeline and cannot approve its own request: another approver must',
    );

    const first = await call('POST', `/requests/${id}/decision`, alice, { decision: 'approve' });
    expect(first.body).toMatchObject({
      outcome: 'recorded',
      message: 'approval by alice recorded: 1 more needed',
    });
    expect((await call('POST', `/requests/${id}/decision`, alice, { decision: 'approve' })).body.code).toBe(
      'duplicate',
    );
    const second = await call('POST', `/requests/${id}/decision`, bob, {
      decision: 'approve',
      reason: 'looks right',
    });
    expect(second.body).toMatchObject({ outcome: 'approved', message: 'approved by alice and bob' });

    await untilStatus(id, pipeline, 'issued');
    const creds = await call('POST', `/requests/${id}/credentials`, pipeline);
    expect(creds.status).toBe(200);

    const audit = await call('GET', `/requests/${id}/audit`, alice);
    const events = audit.body.items as Array<{ type: string; actor: string; channel: string }>;
    // approvers_notified lands whenever the workflow reaches AwaitApproval: not part of the order checked here
    expect(
      events.map((e) => `${e.type}:${e.actor}`).filter((e) => !e.startsWith('approvers_notified')),
    ).toEqual([
      `request_created:${LOCAL_ISSUER_URL}#repo:acme/payments:ref:refs/heads/fix`,
      'decision_refused:carol',
      'decision_recorded:alice',
      'decision_refused:alice',
      'request_approved:bob',
      'credentials_issued:jitvend',
      `credentials_delivered:${LOCAL_ISSUER_URL}#repo:acme/payments:ref:refs/heads/fix`,
    ]);
  });

  it('lets exactly one of 20 concurrent conflicting decisions decide', async () => {
    const pipeline = await ctx.stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/race',
      repository: 'acme/orders',
      ref: 'refs/heads/race',
    });
    const created = await call('POST', '/requests', pipeline, { profile: 'orders-it', reason: 'race' });
    const id = created.body.id as string;
    const attempts = Array.from({ length: 20 }, (_, i) =>
      decide(ctx.stack.runtime, {
        requestId: id,
        person: i % 2 === 0 ? 'alice' : 'bob',
        actor: i % 2 === 0 ? 'U0ALICE01' : 'U0BOB0001',
        decision: i % 2 === 0 ? 'approve' : 'deny',
        channel: 'slack',
      }),
    );
    const results = await Promise.all(attempts);
    const final = results.filter((r) => r.outcome === 'approved' || r.outcome === 'denied');
    expect(final).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'refused')).toHaveLength(19);
    const outcome = final[0]!.outcome;
    await untilStatus(id, pipeline, outcome === 'approved' ? 'issued' : 'denied');
    const events = await ctx.stack.runtime.store.listAudit(id);
    const decisive = events.filter((e) => e.type === 'request_approved' || e.type === 'request_denied');
    expect(decisive).toHaveLength(1);
    expect(events.filter((e) => e.type === 'decision_refused')).toHaveLength(19);
  });

  it('hands the task token to exactly one of those racing to resume the task', async () => {
    const store = ctx.stack.runtime.store;
    await store.saveTaskToken(
      'race-token-request',
      'opaque-task-token',
      new Date(Date.now() + 60_000).toISOString(),
    );
    const taken = await Promise.all(
      Array.from({ length: 10 }, () => store.takeTaskToken('race-token-request')),
    );
    expect(taken.filter((t) => t !== undefined)).toEqual(['opaque-task-token']);
    expect(await tableOf(ctx.stack).getTaskToken('race-token-request')).toBeUndefined();
  });

  it('a cancel while waiting ends the workflow as cancelled', async () => {
    const pipeline = await ctx.stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/cancel',
      repository: 'acme/orders',
      ref: 'refs/heads/cancel',
    });
    const created = await call('POST', '/requests', pipeline, { profile: 'orders-it', reason: 'cancel me' });
    const id = created.body.id as string;
    // wait until the workflow waits for people (it has notified them)
    for (let i = 0; i < 50; i++) {
      const events = await ctx.stack.runtime.store.listAudit(id);
      if (events.some((e) => e.type === 'approvers_notified')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ctx.stack.workflow.isRunning(id)).toBe(true);
    expect((await call('POST', `/requests/${id}/cancel`, pipeline)).body.status).toBe('cancelled');
    for (let i = 0; i < 50 && ctx.stack.workflow.isRunning(id); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(ctx.stack.workflow.isRunning(id)).toBe(false);
    expect(await tableOf(ctx.stack).getTaskToken(id)).toBeUndefined();
  });
});
