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
import type { IAMClient } from '@aws-sdk/client-iam';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  InternalServiceError,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsRuntimeOnce } from '../../functions/runtime.ts';
import { LOCAL_MANAGED_POLICIES_PER_ROLE, LocalSessionRevoker } from '../../local/iam-stand-in.ts';
import type { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import { S3AuditSink } from '../../shared/adapters/audit-sink/s3-audit-sink.ts';
import { DynamoDbDenyListStore } from '../../shared/adapters/dynamodb/deny-list-store.ts';
import { IamSessionRevoker } from '../../shared/adapters/iam/session-revoker.ts';
import { ConfigError, parseConfig } from '../../shared/config.ts';
import { isTerminal } from '../../shared/domain/lifecycle.ts';
import { REVOCATION_GRACE_MS, RevocationLimitError } from '../../shared/domain/revocation.ts';
import { workflowSteps } from '../../shared/domain/use-cases/workflow-steps.ts';
import { InMemoryDenyListStore } from '../fakes/deny-list-store.ts';
import { denyListStoreContract } from '../helpers/deny-list-contract.ts';
import { api, tableOf, useLocalStack } from '../helpers/in-process-stack.ts';
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

/** the IAM stand-in kept in memory (its files are the local stack's concern, tested there) */
function standIn(now: () => Date, denyLists = new InMemoryDenyListStore()) {
  return new LocalSessionRevoker(undefined, { now }, { denyLists });
}
const sessionOf = () => `jitvend-${randomUUID()}`;

describe('revocation on the role (real IAM adapter, local IAM stand-in)', () => {
  const NOW = new Date('2026-11-24T10:00:00.000Z');
  const EXPIRES = '2026-11-24T10:15:00.000Z';
  const guardrails = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: `${TABLE}*` }],
  });

  it('20 revocations racing on one role, each from its own process: every session denied, none lost', async () => {
    const denyLists = new InMemoryDenyListStore();
    const dir = mkdtempSync(join(scratch, 'iam-'));
    // one IAM (the stand-in), twenty Lambdas: each its own adapter, sharing only the deny list store
    const first = new LocalSessionRevoker(dir, { now: () => NOW }, { denyLists });
    const lambdas = Array.from(
      { length: 20 },
      () =>
        new IamSessionRevoker({
          client: first.iam as unknown as IAMClient,
          clock: { now: () => NOW },
          denyLists,
        }),
    );
    const sessions = Array.from({ length: 20 }, sessionOf);
    await Promise.all(
      sessions.map((s, i) => lambdas[i]!.revoke({ roleArn: ROLE, sourceIdentity: s, expiresAt: EXPIRES })),
    );
    for (const s of sessions) expect(first.isDenied(ROLE, s, NOW), s).toBe(true);
    expect(first.isDenied(ROLE, sessionOf(), NOW)).toBe(false);
  });

  it('1,000 releases on one role within a session’s lifetime are all denied; the next past capacity is refused before IAM’s limits', async () => {
    const revoker = standIn(() => NOW);
    revoker.iam.seed('jitvend-orders-it', 'Guardrails', guardrails);
    const sessions = Array.from({ length: 1_000 }, sessionOf);
    for (const s of sessions) await revoker.revoke({ roleArn: ROLE, sourceIdentity: s, expiresAt: EXPIRES });
    const denied = revoker.deniedSessions(ROLE, NOW);
    expect(sessions.filter((s) => !denied.has(s))).toEqual([]);
    // the inline deny list plus managed policies under /jitvend/, each within IAM's limits
    const managed = Object.keys(revoker.managedPolicies()['jitvend-orders-it'] ?? {});
    expect(managed.length).toBeGreaterThanOrEqual(6);
    expect(managed.every((arn) => arn.startsWith('policy/jitvend/jitvend-denies-jitvend-orders-it-'))).toBe(
      true,
    );
    let refused: unknown;
    for (let i = 0; i < 400 && !refused; i++) {
      await revoker
        .revoke({ roleArn: ROLE, sourceIdentity: sessionOf(), expiresAt: EXPIRES })
        .catch((error: unknown) => {
          refused = error;
        });
    }
    expect(refused).toBeInstanceOf(RevocationLimitError);
    expect(String(refused)).toMatch(
      /role jitvend-orders-it cannot hold another revocation: it already denies \d+ live sessions/,
    );
    // refused by jitvend, never by IAM halfway
    expect(revoker.iam.refusedForSize).toBe(0);
    const still = revoker.deniedSessions(ROLE, NOW);
    expect(sessions.filter((s) => !still.has(s))).toEqual([]);
  }, 120_000);

  it('a role whose own managed policies fill IAM’s attachment quota: jitvend uses what is left, then refuses clearly', async () => {
    const revoker = standIn(() => NOW);
    revoker.iam.seed('jitvend-orders-it', 'Guardrails', guardrails);
    for (let n = 0; n < LOCAL_MANAGED_POLICIES_PER_ROLE - 1; n++)
      revoker.iam.seedAttached(
        'jitvend-orders-it',
        `arn:aws:iam::123456789012:policy/team/permissions-${n}`,
        guardrails,
      );
    const denied: string[] = [];
    let refused: unknown;
    while (!refused) {
      const s = sessionOf();
      try {
        await revoker.revoke({ roleArn: ROLE, sourceIdentity: s, expiresAt: EXPIRES });
        denied.push(s);
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toBeInstanceOf(RevocationLimitError);
    // inline (~190) and the one managed policy the quota left (~125)
    expect(denied.length).toBeGreaterThan(250);
    const deniedNow = revoker.deniedSessions(ROLE, NOW);
    expect(denied.filter((s) => !deniedNow.has(s))).toEqual([]);
    expect(Object.keys(revoker.managedPolicies()['jitvend-orders-it']!)).toHaveLength(
      LOCAL_MANAGED_POLICIES_PER_ROLE,
    );
  }, 60_000);

  it('a deny left behind by a failed clean-up never holds the budget: lapsed denies make room', async () => {
    let now = NOW;
    const revoker = new LocalSessionRevoker(
      undefined,
      { now: () => now },
      {
        denyLists: new InMemoryDenyListStore(),
        managedPolicies: 0,
      },
    );
    const old: string[] = [];
    for (;;) {
      const s = sessionOf();
      const refused = await revoker.revoke({ roleArn: ROLE, sourceIdentity: s, expiresAt: EXPIRES }).then(
        () => false,
        (error: unknown) => error instanceof RevocationLimitError,
      );
      if (refused) break;
      old.push(s);
    }
    expect(old.length).toBeGreaterThan(150);
    now = new Date('2026-11-24T11:00:00.000Z'); // all of them have lapsed; nobody removed them
    const fresh = sessionOf();
    await revoker.revoke({ roleArn: ROLE, sourceIdentity: fresh, expiresAt: '2026-11-24T11:15:00.000Z' });
    const listed = revoker.rolePolicies()[ROLE]!;
    expect(listed).toContain(fresh);
    expect(old.filter((s) => listed.includes(s))).toEqual([]);
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
      expect(revoker.isDenied(ROLE, session, now)).toBe(true);
    }
    now = new Date(Math.ceil(end / 1000) * 1000);
    await revoker.release({ roleArn: ROLE, sourceIdentity: session });
    expect(revoker.rolePolicies()[ROLE]).toBeUndefined();
  });
});

const clock = offsetClock();
const ctx = useLocalStack({ clock });
let plan: FailurePlan = {};

// the DynamoDB adapter of the deny list, on the local stack's DynamoDB Local table
denyListStoreContract(
  'DynamoDB (DynamoDB Local)',
  () => new DynamoDbDenyListStore({ tableName: ctx.stack.tableName, client: ctx.stack.documentClient }),
);
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
    for (let i = 0; i < 100 && !(await tableOf(ctx.stack).getTaskToken(id)); i++)
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
    const waiting = (await tableOf(ctx.stack).getTaskToken(id))!;
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
