/**
 * AwaitApproval run twice (a Step Functions retry, or the local stack resuming the wait after
 * a restart) notifies each approver once: one message per person and channel in the local
 * outbox, one approval link per person.
 */
import { describe, expect, it } from 'vitest';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

describe('approvers are notified once per request and person', () => {
  it('AwaitApproval run twice: one message per person and channel in the outbox', async () => {
    const pipeline = await ctx.stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/feat',
      repository: 'acme/orders',
      ref: 'refs/heads/feat',
    });
    const created = await api(ctx.stack, 'POST', '/requests', pipeline, {
      profile: 'orders-it',
      reason: 'notify once',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const mine = () => ctx.stack.outbox.list().filter((m) => m.requestId === id);
    for (let i = 0; i < 100 && mine().length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    const first = mine();
    expect(first.map((m) => `${m.channel}:${m.to}`).sort()).toEqual(
      ['email:alice@example.com', 'email:bob@example.com', 'slack:U0ALICE01', 'slack:U0BOB0001'].sort(),
    );

    // the step again, with a new task token, as a retry or a resume runs it
    await workflowSteps(ctx.stack.runtime).awaitApproval({ requestId: id, taskToken: 'retry-token' });
    await workflowSteps(ctx.stack.runtime).awaitApproval({ requestId: id, taskToken: 'resume-token' });
    expect(mine()).toHaveLength(first.length);
    const links = mine().flatMap((m) => m.links ?? []);
    expect(links).toHaveLength(2); // one approval link per person
  });
});
