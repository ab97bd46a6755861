/**
 * Revocation on the local stack (in process): an approver revokes an issued session, the
 * local IAM stand-in holds the deny for exactly that source identity, and the workflow
 * releases it once the session would have expired.
 */
import { describe, expect, it } from 'vitest';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import { api, untilStatus, useLocalStack } from '../helpers/in-process-stack.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
// the workflow's WaitUntilExpiry is held long; the test plays its end by running the Expire step
// on a clock moved past the session's expiry (plus the deny's grace)
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 }, clock });
const call = (method: string, path: string, token: string, body?: unknown) =>
  api(ctx.stack, method, path, token, body);

describe('revocation', () => {
  it('revokes an issued session for exactly its source identity, then releases the deny after expiry', async () => {
    const pipeline = await ctx.stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/main',
      repository: 'acme/orders',
      ref: 'refs/heads/main',
    });
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const created = await call('POST', '/requests', pipeline, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
      reason: 'revocation test',
    });
    const id = created.body.id as string;
    await untilStatus(ctx.stack, id, pipeline, 'issued');

    const byPipeline = await call('POST', `/requests/${id}/revoke`, pipeline, { reason: 'nope' });
    expect(byPipeline.status).toBe(403);

    const revoked = await call('POST', `/requests/${id}/revoke`, alice, { reason: 'leaked in a log' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      status: 'revoked',
      statusReason: 'revoked by alice: leaked in a log',
    });
    const policy = JSON.parse(ctx.stack.iam.rolePolicies()[ROLE]!);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceIdentity': `jitvend-${id}` } },
    });
    expect((await call('POST', `/requests/${id}/credentials`, pipeline)).status).toBe(410);
    expect((await call('POST', `/requests/${id}/revoke`, alice)).status).toBe(409);

    // at the session's expiry the deny stays (expiry + 5 minutes' grace), and Expire says when to come back
    const expiresAt = new Date(String(revoked.body.expiresAt)).getTime();
    offsetMs = expiresAt - Date.now();
    const atExpiry = await workflowSteps(ctx.stack.runtime).expire({ requestId: id });
    expect(atExpiry.nextAt).toBeDefined();
    expect(ctx.stack.iam.rolePolicies()[ROLE]).toBeDefined();
    // what the workflow runs once the deny has lapsed
    offsetMs = new Date(atExpiry.nextAt!).getTime() - Date.now();
    expect(await workflowSteps(ctx.stack.runtime).expire({ requestId: id })).toEqual({});
    expect(ctx.stack.iam.rolePolicies()[ROLE]).toBeUndefined();
    offsetMs = 0;
    const audit = await call('GET', `/requests/${id}/audit`, alice);
    const types = (audit.body.items as Array<{ type: string }>).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['request_revoked', 'revocation_released']);
  });
});
