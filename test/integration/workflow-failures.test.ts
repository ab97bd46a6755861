/**
 * The approval workflow's definition (the one CDK deploys) run locally with the real steps
 * on the in-process local stack, each step failing as AWS makes it fail
 * (test/helpers/workflow-chaos.ts): Lambda throttling (Step Functions developer guide,
 * "Handle Lambda service exceptions": Lambda.TooManyRequestsException), errors past every
 * retry. No execution may end with its request non-terminal or a deny left on the role.
 * The definition itself is asserted in test/infra/workflow-failures.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import { isTerminal } from '../../shared/domain/lifecycle.ts';
import { api, tableOf, useLocalStack } from '../helpers/in-process-stack.ts';
import {
  type FailurePlan,
  installChaosWorkflow,
  lambdaThrottle,
  offsetClock,
} from '../helpers/workflow-chaos.ts';

const clock = offsetClock();
const ctx = useLocalStack({ clock });
let plan: FailurePlan = {};
let chaos: { runner: LocalWorkflowRunner; calls: { step: string; requestId: string; failed: boolean }[] };
beforeEach(() => {
  clock.offsetMs = 0;
  plan = {};
  chaos ??= installChaosWorkflow(ctx.stack, clock, () => plan);
});
afterAll(async () => {
  await chaos?.runner.stop();
});

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
async function createRequest(branch: 'main' | 'feat'): Promise<string> {
  const token = await ctx.stack.oidc.sign({
    sub: `repo:acme/orders:ref:refs/heads/${branch}`,
    repository: 'acme/orders',
    ref: `refs/heads/${branch}`,
  });
  const created = await api(ctx.stack, 'POST', '/requests', token, {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    reason: 'workflow failure test',
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}
const stepsOf = (id: string) => chaos.calls.filter((c) => c.requestId === id);
const statusOf = async (id: string) => (await ctx.stack.runtime.store.get(id))!;

describe('the definition run locally, steps failing as AWS makes them fail', () => {
  it('a step throttled (Lambda.TooManyRequestsException) twice then succeeding: every step, the request still ends expired', async () => {
    const twice = (attempt: number) => (attempt <= 2 ? lambdaThrottle() : undefined);
    plan = { evaluate: twice, issue: twice, expire: twice };
    const id = await createRequest('main');
    await chaos.runner.idle();
    expect((await statusOf(id)).status).toBe('expired');
    expect(chaos.runner.outcome(id)).toMatchObject({ status: 'succeeded' });
    const attempts = (step: string) => stepsOf(id).filter((c) => c.step === step).length;
    expect([attempts('evaluate'), attempts('issue'), attempts('expire')]).toEqual([3, 3, 3]);
  });

  it('human path: AwaitApproval throttled, then approved: issued and expired', async () => {
    plan = { awaitApproval: (attempt) => (attempt === 1 ? lambdaThrottle() : undefined) };
    const id = await createRequest('feat');
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    // the decision lands once AwaitApproval (second attempt) holds its token
    for (let i = 0; i < 50 && !(await tableOf(ctx.stack).getTaskToken(id)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const decided = await api(ctx.stack, 'POST', `/requests/${id}/decision`, alice, { decision: 'approve' });
    expect(decided.status).toBe(200);
    await chaos.runner.idle();
    expect((await statusOf(id)).status).toBe('expired');
    expect(stepsOf(id).filter((c) => c.step === 'awaitApproval')).toHaveLength(2);
  });

  it('a step that always fails (IssueCredentials): the request ends failed with the reason, the execution fails', async () => {
    plan = { issue: () => new Error('AccessDenied: not authorized to perform sts:AssumeRole') };
    const id = await createRequest('main');
    await chaos.runner.idle();
    const request = await statusOf(id);
    expect(request.status).toBe('failed');
    expect(request.statusReason).toBe('Error: AccessDenied: not authorized to perform sts:AssumeRole');
    expect(chaos.runner.outcome(id)).toMatchObject({ status: 'failed', error: 'Error' });
  });

  it('Expire failing past its retries: the safety net runs it again, the request ends expired', async () => {
    // 1 attempt + 10 retries fail, the Catch waits and runs Expire again, which fails twice more
    plan = {
      expire: (attempt) => (attempt <= 13 ? new Error('ThrottlingException: Rate exceeded') : undefined),
    };
    const id = await createRequest('main');
    await chaos.runner.idle();
    expect((await statusOf(id)).status).toBe('expired');
    expect(stepsOf(id).filter((c) => c.step === 'expire')).toHaveLength(14);
    expect(chaos.runner.outcome(id)).toMatchObject({ status: 'succeeded' });
  });

  it('MarkFailed failing past its retries: the safety net runs it again, the request ends failed', async () => {
    plan = {
      issue: () => new Error('AccessDenied'),
      markFailed: (attempt) =>
        attempt <= 12 ? new Error('ProvisionedThroughputExceededException') : undefined,
    };
    const id = await createRequest('main');
    await chaos.runner.idle();
    const request = await statusOf(id);
    expect(request.status).toBe('failed');
    expect(isTerminal(request.status)).toBe(true);
    // the execution fails with the original error, not the clean-up's
    expect(chaos.runner.outcome(id)).toMatchObject({
      status: 'failed',
      error: 'Error',
      cause: expect.stringContaining('AccessDenied'),
    });
  });
});
