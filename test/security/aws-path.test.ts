/**
 * Attacks on, and failures of, the AWS path: each case names what is tried and the refusal
 * or outcome expected. Revocation runs the real IAM adapter against the local IAM stand-in
 * (which enforces IAM's 10,240-character aggregate budget for a role's inline policies, "IAM
 * and AWS STS quotas", IAM User Guide); the workflow is the definition CDK deploys, run with
 * the real steps on the in-process local stack, steps failing as AWS makes them fail
 * (Step Functions developer guide, "Handle Lambda service exceptions").
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  InternalServiceError,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsRuntimeOnce } from '../../functions/runtime.ts';
import { LocalSessionRevoker } from '../../local/iam-stand-in.ts';
import type { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import { S3AuditSink } from '../../shared/adapters/audit-sink/s3-audit-sink.ts';
import { ConfigError, parseConfig } from '../../shared/config.ts';
import { isTerminal } from '../../shared/domain/lifecycle.ts';
import {
  policySize,
  REVOCATION_GRACE_MS,
  RevocationLimitError,
  ROLE_INLINE_POLICY_MAX_CHARS,
  ROLE_INLINE_POLICY_RESERVE_CHARS,
  revocationPolicyDocument,
  revocationPolicyName,
} from '../../shared/domain/revocation.ts';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';
import {
  type FailurePlan,
  installChaosWorkflow,
  lambdaThrottle,
  offsetClock,
} from '../helpers/workflow-chaos.ts';

const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const scratch = mkdtempSync(join(tmpdir(), 'jitvend-aws-path-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function standIn(now: () => Date) {
  return new LocalSessionRevoker(mkdtempSync(join(scratch, 'iam-')), { now });
}
const sessionOf = () => `jitvend-${randomUUID()}`;

describe('revocation on the role (real IAM adapter, local IAM stand-in)', () => {
  const NOW = new Date('2026-11-24T10:00:00.000Z');
  const EXPIRES = '2026-11-24T10:15:00.000Z';

  it('20 revocations racing on one role: none is lost (one policy per request, no read-modify-write)', async () => {
    const revoker = standIn(() => NOW);
    const sessions = Array.from({ length: 20 }, sessionOf);
    await Promise.all(
      sessions.map((s) => revoker.revoke({ roleArn: ROLE, sourceIdentity: s, expiresAt: EXPIRES })),
    );
    const names = Object.keys(revoker.inlinePolicies()['jitvend-orders-it']!);
    expect(names.sort()).toEqual(sessions.map(revocationPolicyName).sort());
  });

  it('the 40th revocation beside the guardrails is refused with a clear error, before IAM’s limit', async () => {
    const revoker = standIn(() => NOW);
    const perDeny = policySize(revocationPolicyDocument(sessionOf(), EXPIRES));
    const budget = ROLE_INLINE_POLICY_MAX_CHARS - ROLE_INLINE_POLICY_RESERVE_CHARS;
    // guardrails sized so that 39 denies fit beside them and a 40th does not
    const guardrailsSize = budget - 39 * perDeny - Math.floor(perDeny / 2);
    const statement = (pad: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `${TABLE}${pad}` }],
      });
    const guardrails = statement('x'.repeat(guardrailsSize - policySize(statement(''))));
    expect(policySize(guardrails)).toBe(guardrailsSize);
    revoker.iam.seed('jitvend-orders-it', 'Guardrails', guardrails);
    for (let i = 1; i <= 39; i++)
      await revoker.revoke({ roleArn: ROLE, sourceIdentity: sessionOf(), expiresAt: EXPIRES });
    const fortieth = revoker.revoke({ roleArn: ROLE, sourceIdentity: sessionOf(), expiresAt: EXPIRES });
    await expect(fortieth).rejects.toThrow(RevocationLimitError);
    await expect(fortieth).rejects.toThrow(/role jitvend-orders-it cannot hold another revocation/);
    // refused by jitvend, never by IAM halfway
    expect(revoker.iam.refusedForSize).toBe(0);
    expect(Object.keys(revoker.inlinePolicies()['jitvend-orders-it']!)).toHaveLength(40);
  });

  it('a deny left behind by a failed clean-up never holds the budget: lapsed denies are pruned', async () => {
    let now = NOW;
    const revoker = standIn(() => now);
    for (let i = 0; i < 30; i++)
      await revoker.revoke({ roleArn: ROLE, sourceIdentity: sessionOf(), expiresAt: EXPIRES });
    now = new Date('2026-11-24T11:00:00.000Z'); // all 30 have lapsed; nobody removed them
    for (let i = 0; i < 30; i++)
      await revoker.revoke({
        roleArn: ROLE,
        sourceIdentity: sessionOf(),
        expiresAt: '2026-11-24T11:15:00.000Z',
      });
    expect(Object.keys(revoker.inlinePolicies()['jitvend-orders-it']!)).toHaveLength(30);
  });

  it('a deny is never released before the session’s expiry plus the grace (fake clock)', async () => {
    let now = NOW;
    const revoker = standIn(() => now);
    const session = sessionOf();
    const expiresAt = '2026-11-24T10:15:00.250Z'; // milliseconds: the end is rounded up, never down
    await revoker.revoke({ roleArn: ROLE, sourceIdentity: session, expiresAt });
    const end = new Date(expiresAt).getTime() + REVOCATION_GRACE_MS;
    for (const t of [new Date(expiresAt).getTime(), end - 1000, end, end + 500]) {
      now = new Date(t);
      await revoker.release({ roleArn: ROLE, sourceIdentity: session });
      expect(revoker.rolePolicies()[ROLE], `released at ${now.toISOString()}`).toContain(session);
    }
    now = new Date(Math.ceil(end / 1000) * 1000);
    await revoker.release({ roleArn: ROLE, sourceIdentity: session });
    expect(revoker.rolePolicies()[ROLE]).toBeUndefined();
  });
});

const clock = offsetClock();
const ctx = useLocalStack({ clock });
let plan: FailurePlan = {};
let chaos: { runner: LocalWorkflowRunner; calls: { step: string; requestId: string; failed: boolean }[] };
beforeEach(() => {
  clock.offsetMs = 0;
  plan = {};
});
afterAll(async () => {
  await chaos?.runner.stop();
});
const install = () => {
  chaos ??= installChaosWorkflow(ctx.stack, clock, () => plan);
};

async function pipelineToken(branch: 'main' | 'feat') {
  return ctx.stack.oidc.sign({
    sub: `repo:acme/orders:ref:refs/heads/${branch}`,
    repository: 'acme/orders',
    ref: `refs/heads/${branch}`,
  });
}
async function createRequest(branch: 'main' | 'feat'): Promise<string> {
  const created = await api(ctx.stack, 'POST', '/requests', await pipelineToken(branch), {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    reason: 'aws path attack',
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}
const requestOf = async (id: string) => (await ctx.stack.runtime.store.get(id))!;

describe('the workflow under AWS failures (deployed definition, real steps)', () => {
  it('Lambda throttling on every step, 5 times each: the request still ends expired (auto route)', async () => {
    install();
    const throttled = (attempt: number) => (attempt <= 5 ? lambdaThrottle() : undefined);
    plan = { evaluate: throttled, issue: throttled, expire: throttled, markFailed: throttled };
    const id = await createRequest('main');
    await chaos.runner.idle();
    expect((await requestOf(id)).status).toBe('expired');
  });

  it('Lambda throttling on every step of the human route, approval included: never left non-terminal', async () => {
    install();
    const throttled = (attempt: number) => (attempt <= 3 ? lambdaThrottle() : undefined);
    plan = { evaluate: throttled, awaitApproval: throttled, issue: throttled, expire: throttled };
    const id = await createRequest('feat');
    for (let i = 0; i < 100 && !(await ctx.stack.runtime.store.getTaskToken(id)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    expect(
      (await api(ctx.stack, 'POST', `/requests/${id}/decision`, alice, { decision: 'approve' })).status,
    ).toBe(200);
    await chaos.runner.idle();
    expect((await requestOf(id)).status).toBe('expired');
  });

  it('throttled past every retry (IssueCredentials): the request ends failed, not stuck approved', async () => {
    install();
    plan = { issue: () => lambdaThrottle() };
    const id = await createRequest('main');
    await chaos.runner.idle();
    const request = await requestOf(id);
    expect(request.status).toBe('failed');
    expect(request.statusReason).toContain('Lambda.TooManyRequestsException');
  });

  it('credentials minted but IssueCredentials’ answer lost: the request still expires (MarkFailed finds it issued)', async () => {
    install();
    const lost = new Error('Task timed out after 60.00 seconds');
    lost.name = 'Lambda.Unknown';
    plan = { issue: (attempt) => (attempt === 1 ? { after: lost } : undefined) };
    const id = await createRequest('main');
    await chaos.runner.idle();
    const request = await requestOf(id);
    expect(request.status).toBe('expired');
    expect(isTerminal(request.status)).toBe(true);
  });

  it('a revoked session whose Expire keeps failing: the safety net retries until the deny is removed', async () => {
    install();
    // WaitUntilExpiry is 1 ms here: revoke while Expire is still failing
    let revoked = false;
    plan = {
      expire: (attempt) =>
        attempt <= 12 || !revoked ? new Error('ThrottlingException: Rate exceeded') : undefined,
    };
    const id = await createRequest('main');
    for (let i = 0; i < 100 && (await requestOf(id)).status !== 'issued'; i++)
      await new Promise((r) => setTimeout(r, 50));
    const alice = await ctx.stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    const revoke = await api(ctx.stack, 'POST', `/requests/${id}/revoke`, alice, { reason: 'leaked' });
    expect(revoke.status).toBe(200);
    expect(ctx.stack.iam.rolePolicies()[ROLE]).toContain(`jitvend-${id}`);
    revoked = true;
    await chaos.runner.idle();
    const request = await requestOf(id);
    expect(request.status).toBe('revoked');
    expect(request.revocation?.releasedAt).toBeDefined();
    expect(ctx.stack.iam.rolePolicies()[ROLE] ?? '').not.toContain(`jitvend-${id}`);
  });

  it('a retried AwaitApproval sends no second message and no second approval link', async () => {
    install();
    plan = {};
    const id = await createRequest('feat');
    const mine = () => ctx.stack.outbox.list().filter((m) => m.requestId === id);
    for (let i = 0; i < 100 && mine().length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    const before = mine().length;
    const waiting = (await ctx.stack.runtime.store.getTaskToken(id))!;
    await workflowSteps(ctx.stack.runtime).awaitApproval({ requestId: id, taskToken: 'a-retry' });
    expect(mine()).toHaveLength(before);
    expect(mine().flatMap((m) => m.links ?? [])).toHaveLength(2);
    // hand the real execution its token back, and end it
    await ctx.stack.runtime.store.saveTaskToken(id, waiting, (await requestOf(id)).approvalDeadline);
    await api(ctx.stack, 'POST', `/requests/${id}/cancel`, await pipelineToken('feat'));
    await chaos.runner.idle();
    expect((await requestOf(id)).status).toBe('cancelled');
  });
});

describe('cold start, audit writes and config', () => {
  it('one transient Secrets Manager error at cold start does not fail every later call of the container', async () => {
    const sm = mockClient(SecretsManagerClient);
    // the AWS wiring as every handler module builds it: once per container, on first use
    const getRuntime = awsRuntimeOnce();
    vi.stubEnv('TABLE_NAME', 'jitvend-requests');
    vi.stubEnv('STATE_MACHINE_ARN', 'arn:aws:states:us-east-1:123456789012:stateMachine:jitvend-approval');
    vi.stubEnv(
      'CREDENTIALS_KEY_ID',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    vi.stubEnv('PUBLIC_URL', 'https://jitvend.example.com');
    vi.stubEnv('JITVEND_CONFIG', new URL('../../jitvend.config.yaml', import.meta.url).pathname);
    vi.stubEnv(
      'APPROVAL_TOKEN_KEY_SECRET_ARN',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf',
    );
    vi.stubEnv('AWS_REGION', 'us-east-1');
    try {
      sm.on(GetSecretValueCommand)
        .rejectsOnce(new InternalServiceError({ message: 'Service unavailable', $metadata: {} }))
        .resolves({ SecretString: 'approval-key-secret' });
      await expect(getRuntime()).rejects.toThrow(/Service unavailable/);
      await expect(getRuntime()).resolves.toMatchObject({ publicUrl: 'https://jitvend.example.com' });
    } finally {
      sm.restore();
      vi.unstubAllEnvs();
    }
  });

  it('no audit object is written without an integrity checksum (Object Lock refuses such puts)', async () => {
    const s3 = mockClient(S3Client);
    try {
      s3.on(PutObjectCommand).resolves({});
      const entry = { kind: 'audit_event', key: 'r/00000001', at: '2026-11-24T10:00:00.000Z' };
      await new S3AuditSink({ bucket: 'audit', client: new S3Client({}) }).write([entry as never]);
      const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
      expect(input.ContentMD5).toMatch(/==$/);
      expect(input.ChecksumSHA256).toBeDefined();
      expect(input.IfNoneMatch).toBe('*');
    } finally {
      s3.restore();
    }
  });

  it('an approval timeout above 30 days is refused at start, naming the field', () => {
    const text = `
people:
  alice: { email: alice@example.com }
profiles:
  p:
    roleArn: arn:aws:iam::123456789012:role/r
    requesters: [{ repository: "acme/orders" }]
    allow: [{ actions: ["dynamodb:GetItem"], resources: ["${TABLE}"] }]
    approval: { approvers: [alice], timeoutSeconds: 31536000 }
`;
    expect(() => parseConfig(text, 't.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 't.yaml')).toThrow(
      /profiles\.p\.approval\.timeoutSeconds: must be at most 2592000/,
    );
  });
});
