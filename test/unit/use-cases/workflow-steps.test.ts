/**
 * The workflow's steps on the fakes (the human route; the auto route's Evaluate is covered by
 * the integration suites): each as a table of the request's status and what the step does.
 */
import { describe, expect, it } from 'vitest';
import { failureReason, workflowSteps } from '../../../shared/domain/use-cases/workflow-steps.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn } from '../../helpers/requests.ts';

function setup(status: Parameters<typeof requestIn>[0], now = at(200)) {
  const fakes = fakeDeps({ now });
  const stored = requestIn(status);
  fakes.requests.seed(stored.request, stored.events);
  return { ...fakes, steps: workflowSteps(fakes.deps), requestId: stored.request.id, stored };
}

const statusOf = async (fakes: ReturnType<typeof setup>) =>
  (await fakes.requests.get(fakes.requestId))!.status;

describe('evaluate (human route)', () => {
  it.each([
    { status: 'pending_approval', route: 'human', timeout: 1600 },
    { status: 'approved', route: 'approved', timeout: 1 },
    { status: 'cancelled', route: 'closed', timeout: 1 },
  ] as const)('$status → $route, waiting $timeout s', async ({ status, route, timeout }) => {
    const fakes = setup(status);
    expect(await fakes.steps.evaluate({ requestId: fakes.requestId })).toEqual({
      route,
      approvalTimeoutSeconds: timeout,
    });
  });
});

describe('awaitApproval', () => {
  it('keeps the task token server-side and asks the approvers, recording on which channels', async () => {
    const fakes = setup('pending_approval');
    await fakes.steps.awaitApproval({ requestId: fakes.requestId, taskToken: 'task-token-1' });
    expect(await fakes.taskTokens.getTaskToken(fakes.requestId)).toBe('task-token-1');
    expect(fakes.notifier.asked).toEqual([{ requestId: fakes.requestId, approvers: ['alice', 'bob'] }]);
    expect((await fakes.requests.listAudit(fakes.requestId)).at(-1)).toMatchObject({
      type: 'approvers_notified',
      detail: { approvers: ['alice', 'bob'], channels: { email: 'sent' } },
    });
  });

  it.each([
    ['approved', 'approved'],
    ['denied', 'denied'],
    ['cancelled', 'cancelled'],
  ] as const)('resumes at once a request already %s, asking nobody', async (status, decision) => {
    const fakes = setup(status);
    await fakes.steps.awaitApproval({ requestId: fakes.requestId, taskToken: 'task-token-1' });
    expect(fakes.callback.successes).toEqual([{ taskToken: 'task-token-1', output: { decision } }]);
    expect(fakes.notifier.asked).toEqual([]);
  });
});

describe('issue', () => {
  it('mints the session for the approved request, seals the credentials and marks it issued', async () => {
    const fakes = setup('approved');
    const out = await fakes.steps.issue({ requestId: fakes.requestId });
    // a one-session window ends when its session does
    expect(out).toEqual({ issued: true, expiresAt: at(1100), windowEndsAt: at(1100) });
    expect(fakes.issuer.calls).toMatchObject([
      {
        roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
        durationSeconds: 900,
        sourceIdentity: `jitvend-${fakes.requestId}`,
      },
    ]);
    const { request, credentials } = await fakes.requests.getWithCredentials(fakes.requestId);
    expect(request).toMatchObject({ status: 'issued', issuedAt: at(200), expiresAt: at(1100) });
    expect(await fakes.vault.open(fakes.requestId, credentials!)).toMatchObject({ expiration: at(1100) });
  });

  it('starts the approval window at issue: the workflow waits for its end, not the session’s', async () => {
    const fakes = fakeDeps({ now: at(200.75) });
    const stored = requestIn('approved');
    fakes.requests.seed({ ...stored.request, windowSeconds: 4 * 3600 }, stored.events);
    const out = await workflowSteps(fakes.deps).issue({ requestId: stored.request.id });
    // whole seconds, rounded down: the approval never lasts longer than asked
    expect(out).toEqual({ issued: true, expiresAt: at(1100.75), windowEndsAt: at(200 + 4 * 3600) });
    expect(await fakes.requests.get(stored.request.id)).toMatchObject({
      status: 'issued',
      expiresAt: at(1100.75),
      windowEndsAt: at(200 + 4 * 3600),
    });
    expect((await fakes.requests.listAudit(stored.request.id)).at(-1)).toMatchObject({
      type: 'credentials_issued',
      detail: { expiresAt: at(1100.75), windowEndsAt: at(200 + 4 * 3600) },
    });
  });

  it('markFailed sends a request found issued on to its window’s end', async () => {
    const fakes = fakeDeps({ now: at(300) });
    const stored = requestIn('issued');
    fakes.requests.seed({ ...stored.request, windowEndsAt: at(7320) }, stored.events);
    const out = await workflowSteps(fakes.deps).markFailed({
      requestId: stored.request.id,
      error: { Error: 'Lambda.Unknown', Cause: 'lost' },
    });
    expect(out).toEqual({ issued: true, expiresAt: at(1020), windowEndsAt: at(7320) });
  });

  it.each(['pending_approval', 'cancelled'] as const)('mints nothing for a %s request', async (status) => {
    const fakes = setup(status);
    expect(await fakes.steps.issue({ requestId: fakes.requestId })).toEqual({ issued: false });
    expect(fakes.issuer.calls).toEqual([]);
  });
});

describe('markFailed, markTimedOut', () => {
  it.each([
    { status: 'pending_approval', ends: 'failed', issued: false },
    { status: 'approved', ends: 'failed', issued: false },
    { status: 'issued', ends: 'issued', issued: true },
  ] as const)('markFailed on a $status request: $ends, issued $issued', async ({ status, ends, issued }) => {
    const fakes = setup(status);
    const out = await fakes.steps.markFailed({
      requestId: fakes.requestId,
      error: { Error: 'IssueError', Cause: JSON.stringify({ errorMessage: 'AccessDenied on AssumeRole' }) },
    });
    expect(out.issued).toBe(issued);
    expect(await statusOf(fakes)).toBe(ends);
    if (ends === 'failed') {
      expect((await fakes.requests.get(fakes.requestId))!.statusReason).toBe(
        'IssueError: AccessDenied on AssumeRole',
      );
    }
  });

  it.each([
    ['pending_approval', 'timed_out'],
    ['approved', 'approved'],
  ] as const)('markTimedOut on a %s request leaves it %s', async (status, ends) => {
    const fakes = setup(status);
    await fakes.steps.markTimedOut({ requestId: fakes.requestId });
    expect(await statusOf(fakes)).toBe(ends);
  });

  it.each([
    [{ Error: 'States.Timeout', Cause: 'not json' }, 'States.Timeout: not json'],
    [undefined, 'Error: no details'],
    [{ Cause: '  spaced \n out ' }, 'Error: spaced out'],
  ])('failureReason(%j) = %s', (error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });
});

describe('expire', () => {
  it('moves an issued request to expired at its expiry and drops the sealed credentials', async () => {
    const fakes = setup('issued', at(1020));
    expect(await fakes.steps.expire({ requestId: fakes.requestId })).toEqual({});
    expect(await fakes.requests.getWithCredentials(fakes.requestId)).toMatchObject({
      request: { status: 'expired' },
      credentials: undefined,
    });
  });

  it('on a revoked request, waits for the deny to lapse before releasing it', async () => {
    const fakes = setup('revoked', at(1020));
    const first = await fakes.steps.expire({ requestId: fakes.requestId });
    expect(first.nextAt).toBeDefined();
    expect(await statusOf(fakes)).toBe('revoked');
    fakes.clock.set(first.nextAt!);
    expect(await fakes.steps.expire({ requestId: fakes.requestId })).toEqual({});
    expect(fakes.revoker.released).toHaveLength(1);
  });
});
