/**
 * Approval reuse at create (`approval.reuse: sameRun`, SPEC.md "Approval reuse"), on the
 * fakes: the jobs of one CI run share the approval people gave to one of them. The pure rule
 * is table-tested in test/unit/reuse-rules.test.ts; this is the use case around it: what is
 * read, what is written, the audit event, the approvers told, and races with the original.
 */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../../shared/api/schemas.ts';
import type { JitvendConfig } from '../../../shared/domain/profile.ts';
import { applyChange } from '../../../shared/domain/transition.ts';
import type { AccessRequest, Principal } from '../../../shared/domain/types.ts';
import { createRequest } from '../../../shared/domain/use-cases/create-request.ts';
import { fakeDeps, SAMPLE_CONFIG } from '../../fakes/deps.ts';
import { GITHUB } from '../../helpers/requests.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:payments-it-orders';
const OTHER_QUEUE = 'arn:aws:sqs:us-east-1:123456789012:payments-it-refunds';
const BODY: CreateRequestBody = {
  profile: 'payments-it',
  permissions: [{ actions: ['sqs:SendMessage', 'sqs:ReceiveMessage'], resources: [QUEUE] }],
  durationSeconds: 900,
  windowSeconds: 3600,
  reason: 'integration tests',
};

function job(claims: Record<string, string> = {}): Principal {
  return {
    issuer: GITHUB,
    subject: 'repo:acme/payments:ref:refs/heads/main',
    claims: {
      repository: 'acme/payments',
      ref: 'refs/heads/main',
      run_id: '4242',
      run_attempt: '1',
      ...claims,
    },
  };
}

function reusing(reuse: 'sameRun' | 'off' = 'sameRun'): JitvendConfig {
  const config = structuredClone(SAMPLE_CONFIG);
  const profile = config.profiles['payments-it']!;
  profile.maxWindowSeconds = 14_400;
  if (reuse === 'sameRun') profile.approval.reuse = reuse;
  else delete profile.approval.reuse;
  return config;
}

/** Creates the run's first request and has people approve it and the workflow issue it. */
async function approvedByPeople(fakes: ReturnType<typeof fakeDeps>, body = BODY, principal = job()) {
  const { request } = await createRequest(fakes.deps, principal, body);
  expect(request.status).toBe('pending_approval');
  const now = fakes.deps.clock.now();
  let current = request;
  for (const change of [
    {
      to: 'approved' as const,
      patch: {
        approvals: [
          { person: 'alice', decision: 'approve' as const, channel: 'slack' as const, at: now.toISOString() },
          { person: 'carol', decision: 'approve' as const, channel: 'email' as const, at: now.toISOString() },
        ],
      },
      event: {
        type: 'request_approved' as const,
        actor: 'carol',
        channel: 'email' as const,
        at: now.toISOString(),
      },
    },
    {
      to: 'issued' as const,
      patch: {
        issuedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 900_000).toISOString(),
        windowEndsAt: new Date(now.getTime() + current.windowSeconds! * 1000).toISOString(),
      },
      event: {
        type: 'credentials_issued' as const,
        actor: 'jitvend',
        channel: 'workflow' as const,
        at: now.toISOString(),
      },
    },
  ]) {
    const { next, event } = applyChange(current, change);
    await fakes.requests.commit(current, next, event);
    current = next;
  }
  return current;
}

async function endOriginal(
  fakes: ReturnType<typeof fakeDeps>,
  original: AccessRequest,
  to: 'released' | 'revoked' | 'expired',
) {
  const current = (await fakes.requests.get(original.id))!;
  const type =
    to === 'released' ? 'request_released' : to === 'revoked' ? 'request_revoked' : 'request_expired';
  const { next, event } = applyChange(current, {
    to,
    event: { type, actor: 'x', channel: 'api', at: fakes.deps.clock.now().toISOString() },
  });
  await fakes.requests.commit(current, next, event);
}

describe('approval reuse at create (sameRun)', () => {
  it('approves a later job of the run at once, names the original, says so in the audit, and tells its approvers', async () => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    const second = await createRequest(fakes.deps, job(), { ...BODY, reason: 'job 2' });
    expect(second.request.reuseOf).toBe(original.id);
    const stored = (await fakes.requests.get(second.request.id))!;
    expect(stored.status).toBe('approved');
    expect(stored.approvalRoute.kind).toBe('human');
    const audit = await fakes.requests.listAudit(second.request.id);
    expect(audit.map((e) => e.type)).toEqual(['request_created', 'request_approved']);
    expect(audit[1]).toMatchObject({
      actor: `reuse:${original.id}`,
      channel: 'rule',
      detail: { reuseOf: original.id, approvedBy: ['alice', 'carol'] },
    });
    expect(String(audit[1]!.detail!.why)).toContain('approval reuse (sameRun)');
    expect(fakes.workflow.started).toContain(second.request.id);
    // nobody is asked again; the people who approved learn their decision covers two jobs now
    expect(fakes.notifier.asked).toEqual([]);
    expect(fakes.notifier.reused).toEqual([
      { originalId: original.id, requestId: second.request.id, jobs: 2, approvers: ['alice', 'carol'] },
    ]);
    const third = await createRequest(fakes.deps, job(), { ...BODY, reason: 'job 3' });
    expect(third.request.reuseOf).toBe(original.id);
    expect(fakes.notifier.reused.at(-1)?.jobs).toBe(3);
  });

  it.each<{
    case: string;
    claims: Record<string, string>;
    body: Partial<CreateRequestBody>;
    reused: boolean;
  }>([
    { case: 'the same run re-run (a new attempt)', claims: { run_attempt: '2' }, body: {}, reused: true },
    {
      case: 'narrower: one action of the two',
      claims: {},
      body: { permissions: [{ actions: ['sqs:SendMessage'], resources: [QUEUE] }] },
      reused: true,
    },
    { case: 'a shorter window', claims: {}, body: { windowSeconds: 1800 }, reused: true },
    { case: 'another run', claims: { run_id: '4243' }, body: {}, reused: false },
    { case: 'another repository', claims: { repository: 'acme/payments-fork' }, body: {}, reused: false },
    {
      case: 'wider: another queue',
      claims: {},
      body: { permissions: [{ actions: ['sqs:SendMessage'], resources: [QUEUE, OTHER_QUEUE] }] },
      reused: false,
    },
    {
      case: 'wider: another action',
      claims: {},
      body: { permissions: [{ actions: ['sqs:DeleteMessage'], resources: [QUEUE] }] },
      reused: false,
    },
    {
      case: 'a window ending after the original one',
      claims: {},
      body: { windowSeconds: 7200 },
      reused: false,
    },
  ])('$case: reused $reused', async ({ claims, body, reused }) => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    fakes.deps.clock.now = () => new Date(Date.parse(original.issuedAt!) + 60_000);
    const principal = job(claims);
    if (claims.repository)
      (fakes.deps.config.profiles['payments-it']!.requesters as unknown[]).push({
        repository: claims.repository,
      });
    const { request } = await createRequest(fakes.deps, principal, { ...BODY, ...body });
    const stored = (await fakes.requests.get(request.id))!;
    expect(stored.status).toBe(reused ? 'approved' : 'pending_approval');
    expect(stored.reuseOf).toBe(reused ? original.id : undefined);
    expect(fakes.notifier.reused.length).toBe(reused ? 1 : 0);
  });

  it.each(['released', 'revoked', 'expired'] as const)('an original %s approves nothing more', async (to) => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    await endOriginal(fakes, original, to);
    const { request } = await createRequest(fakes.deps, job(), BODY);
    expect((await fakes.requests.get(request.id))!).toMatchObject({ status: 'pending_approval' });
    expect(request.reuseOf).toBeUndefined();
  });

  it('an original whose window has ended approves nothing, though still issued', async () => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    fakes.deps.clock.now = () => new Date(Date.parse(original.windowEndsAt!) + 1000);
    const { request } = await createRequest(fakes.deps, job(), { ...BODY, windowSeconds: 900 });
    expect(request.reuseOf).toBeUndefined();
  });

  it('a request approved by reuse approves nothing itself: people approved only the first', async () => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    await endOriginal(fakes, original, 'released');
    const second = await createRequest(fakes.deps, job(), BODY);
    expect(second.request.reuseOf).toBeUndefined();
    expect((await fakes.requests.listRun(await runOf(fakes))).map((r) => r.id)).toEqual([
      original.id,
      second.request.id,
    ]);
  });

  it('a profile without reuse asks people for every job, and keeps no run', async () => {
    const fakes = fakeDeps({ config: reusing('off') });
    await approvedByPeople(fakes);
    const { request } = await createRequest(fakes.deps, job(), BODY);
    expect((await fakes.requests.get(request.id))!.status).toBe('pending_approval');
    expect(await fakes.requests.listRun(await runOf(fakes))).toEqual([]);
  });

  it('another issuer naming the same repository and run reuses nothing (identity is issuer + subject)', async () => {
    const fakes = fakeDeps({ config: reusing() });
    await approvedByPeople(fakes);
    const elsewhere = { ...job(), issuer: 'https://gitlab.example.com' };
    const { request } = await createRequest(fakes.deps, elsewhere, BODY);
    expect((await fakes.requests.get(request.id))!.status).toBe('pending_approval');
    expect(request.reuseOf).toBeUndefined();
    expect(fakes.notifier.reused).toEqual([]);
  });

  it('a token that names no run is never reused, nor reuses', async () => {
    const fakes = fakeDeps({ config: reusing() });
    await approvedByPeople(fakes);
    const noRun = job();
    delete noRun.claims.run_id;
    const { request } = await createRequest(fakes.deps, noRun, BODY);
    expect((await fakes.requests.get(request.id))!.status).toBe('pending_approval');
  });

  it('the original released between the read and the write: decided again, and asks people', async () => {
    const fakes = fakeDeps({ config: reusing() });
    const original = await approvedByPeople(fakes);
    const listRun = fakes.deps.store.listRun;
    let reads = 0;
    fakes.deps.store.listRun = async (run) => {
      const found = await listRun(run);
      // the requester releases the original just after the first read
      if (++reads === 1) await endOriginal(fakes, original, 'released');
      return found;
    };
    const { request } = await createRequest(fakes.deps, job(), BODY);
    expect(reads).toBe(2);
    const stored = (await fakes.requests.get(request.id))!;
    expect(stored).toMatchObject({ status: 'pending_approval' });
    expect(stored.reuseOf).toBeUndefined();
    expect((await fakes.requests.listAudit(request.id)).map((e) => e.type)).toEqual(['request_created']);
  });
});

/** the run key of the jobs above (the same digest createRequest computes) */
async function runOf(fakes: ReturnType<typeof fakeDeps>): Promise<string> {
  const { runKey } = await import('../../../shared/domain/reuse.ts');
  void fakes;
  return runKey('payments-it', GITHUB, { repository: 'acme/payments', run_id: '4242' })!;
}
