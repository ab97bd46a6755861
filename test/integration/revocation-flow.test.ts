/**
 * Revocation on the local stack (in process): an approver revokes an issued session, the
 * local IAM stand-in holds the deny for exactly that source identity, and the workflow
 * releases it once the session would have expired.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
let dataDir: string;
let stack: LocalStack;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-revoke-'));
  // sessions "expire" 5 s after issue, so the release after expiry is observable
  stack = await startLocalStack({
    dataDir,
    port: 0,
    logLevel: 'silent',
    waitTimeOverrides: { WaitUntilExpiry: 5000 },
  });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('revocation', () => {
  it('revokes an issued session for exactly its source identity, then releases the deny after expiry', async () => {
    const pipeline = await stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/main',
      repository: 'acme/orders',
      ref: 'refs/heads/main',
    });
    const alice = await stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const created = await call('POST', '/requests', pipeline, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
      reason: 'revocation test',
    });
    const id = created.body.id as string;
    let status = created.body.status;
    for (let i = 0; i < 10 && status !== 'issued'; i++) {
      status = (await call('GET', `/requests/${id}?waitSeconds=5`, pipeline)).body.status;
    }
    expect(status).toBe('issued');

    const byPipeline = await call('POST', `/requests/${id}/revoke`, pipeline, { reason: 'nope' });
    expect(byPipeline.status).toBe(403);

    const revoked = await call('POST', `/requests/${id}/revoke`, alice, { reason: 'leaked in a log' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      status: 'revoked',
      statusReason: 'revoked by alice: leaked in a log',
    });
    const policy = JSON.parse(stack.iam.rolePolicies()[ROLE]!);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceIdentity': `jitvend-${id}` } },
    });
    expect((await call('POST', `/requests/${id}/credentials`, pipeline)).status).toBe(410);
    expect((await call('POST', `/requests/${id}/revoke`, alice)).status).toBe(409);

    // what the workflow runs once the session would have expired anyway
    await workflowSteps(stack.runtime).expire({ requestId: id });
    expect(stack.iam.rolePolicies()[ROLE]).toBeUndefined();
    const audit = await call('GET', `/requests/${id}/audit`, alice);
    const types = (audit.body.items as Array<{ type: string }>).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['request_revoked', 'revocation_released']);
  });
});
