/**
 * The synthesized workflow definition, executed by the local stack with the real steps,
 * DynamoDB Local and the local STS stand-in: auto-approve, issue retried then failed,
 * and expiry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { sha256Hex } from '../../shared/domain/audit.ts';
import type { Principal } from '../../shared/domain/types.ts';
import { createRequest } from '../../shared/domain/use-cases/create-request.ts';
import { sharedStackOptions } from '../helpers/dynamodb.ts';
import { tableOf } from '../helpers/in-process-stack.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const principal: Principal = {
  subject: 'repo:acme/orders:ref:refs/heads/main',
  issuer: 'https://local-oidc.jitvend.invalid',
  claims: { sub: 'repo:acme/orders:ref:refs/heads/main', repository: 'acme/orders', ref: 'refs/heads/main' },
};
const body = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  reason: 'workflow test',
};

let dataDir: string;
let stack: LocalStack;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-wf-'));
  stack = await startLocalStack({
    ...sharedStackOptions(),
    dataDir,
    port: 0,
    logLevel: 'silent',
    waitTimeOverrides: { WaitUntilExpiry: 200 },
    retryIntervalOverrides: { IssueCredentials: 10 },
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function eventTypes(id: string): Promise<string[]> {
  return (await stack.runtime.store.listAudit(id)).map((e) => e.type);
}

describe('the approval workflow on the local stack', () => {
  it('auto-approves, issues with the exact session policy and source identity, then expires and deletes the credentials', async () => {
    const { request } = await createRequest(stack.runtime, principal, body);
    await stack.workflow.idle();
    const done = await stack.runtime.store.get(request.id);
    expect(done?.status).toBe('expired');
    expect(await eventTypes(request.id)).toEqual([
      'request_created',
      'request_approved',
      'credentials_issued',
      'request_expired',
    ]);
    expect(await tableOf(stack).getCredentials(request.id)).toBeUndefined();
    const session = stack.sts.sessions().find((s) => s.sourceIdentity === `jitvend-${request.id}`);
    expect(session).toMatchObject({
      roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
      roleSessionName: `jitvend-${request.id}`,
      durationSeconds: 900,
      tags: { 'jitvend:request': request.id, 'jitvend:profile': 'orders-it' },
    });
    expect(JSON.parse(session!.policy)).toEqual(request.sessionPolicy);
    // byte for byte the policy that was built and hashed at request time (storage keeps no key order)
    expect(sha256Hex(session!.policy)).toBe(request.sessionPolicyHash);
  });

  it('retries a throttled issue and succeeds', async () => {
    stack.sts.failNext('throttled');
    stack.sts.failNext('throttled');
    const { request } = await createRequest(stack.runtime, principal, body);
    await stack.workflow.idle();
    expect((await stack.runtime.store.get(request.id))?.status).toBe('expired');
    expect(await eventTypes(request.id)).toContain('credentials_issued');
  });

  it('ends in failed, with the reason, when STS keeps throttling past the retries', async () => {
    for (let i = 0; i < 4; i++) stack.sts.failNext('throttled');
    const { request } = await createRequest(stack.runtime, principal, body);
    await stack.workflow.idle();
    const failed = await stack.runtime.store.get(request.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.statusReason).toMatch(/^IssueThrottledError: STS throttled AssumeRole/);
    expect(await eventTypes(request.id)).toEqual(['request_created', 'request_approved', 'request_failed']);
  });

  it('ends in failed at once when STS denies (no retry)', async () => {
    stack.sts.failNext('denied');
    const { request } = await createRequest(stack.runtime, principal, body);
    await stack.workflow.idle();
    const failed = await stack.runtime.store.get(request.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.statusReason).toMatch(/^IssueError: /);
    expect(stack.sts.sessions().some((s) => s.sourceIdentity === `jitvend-${request.id}`)).toBe(false);
  });
});
