/**
 * An approver's decision on fakes: the approval rules as a table (who, on what, with what
 * outcome, written or not), then resuming the workflow.
 */
import { describe, expect, it } from 'vitest';
import type { AccessRequest, ApprovalRoute } from '../../../shared/domain/types.ts';
import { type DecisionInput, decide } from '../../../shared/domain/use-cases/decide.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, personPrincipal, REQUESTER, requestIn, type Stored } from '../../helpers/requests.ts';

const PAYMENTS: ApprovalRoute = { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 };

function setup(stored: Stored, taskToken?: string) {
  const fakes = fakeDeps({ now: at(200) });
  fakes.requests.seed(stored.request, stored.events);
  if (taskToken) void fakes.taskTokens.saveTaskToken(stored.request.id, taskToken, at(1800));
  return fakes;
}

function input(request: AccessRequest, over: Partial<DecisionInput>): DecisionInput {
  return {
    requestId: request.id,
    person: 'alice',
    actor: 'U0ALICE01',
    decision: 'approve',
    channel: 'slack',
    ...over,
  };
}

describe('decide', () => {
  it.each([
    {
      case: 'an approver approves a 1-of-2 request',
      stored: () => requestIn('pending_approval'),
      over: {},
      outcome: 'approved',
      status: 'approved',
      event: 'request_approved',
    },
    {
      case: 'an approver denies, with a reason',
      stored: () => requestIn('pending_approval'),
      over: { person: 'bob', decision: 'deny', reason: 'not today' },
      outcome: 'denied',
      status: 'denied',
      event: 'request_denied',
    },
    {
      case: 'the first of two needed approvals',
      stored: () => requestIn('pending_approval', { profile: 'payments-it', route: PAYMENTS }),
      over: {},
      outcome: 'recorded',
      status: 'pending_approval',
      event: 'decision_recorded',
    },
    {
      case: 'a decision on a request already approved',
      stored: () => requestIn('approved'),
      over: {},
      outcome: 'refused',
      status: 'approved',
      event: 'decision_refused',
    },
    {
      case: 'a decision after the approval deadline',
      stored: () => requestIn('pending_approval', { approvalTimeoutSeconds: 100 }),
      over: {},
      outcome: 'refused',
      status: 'pending_approval',
      event: 'decision_refused',
    },
    {
      case: 'an approval by the principal that created the request',
      stored: () => requestIn('pending_approval'),
      over: { principal: REQUESTER },
      outcome: 'refused',
      status: 'pending_approval',
      event: 'decision_refused',
    },
    {
      case: 'someone who approves another profile only (carol)',
      stored: () => requestIn('pending_approval'),
      over: { person: 'carol' },
      outcome: 'refused',
      status: 'pending_approval',
      event: undefined,
    },
    {
      case: 'someone who is no configured person',
      stored: () => requestIn('pending_approval'),
      over: { person: undefined, actor: 'U0NOBODY' },
      outcome: 'refused',
      status: 'pending_approval',
      event: undefined,
    },
  ] as const)('$case: $outcome, request $status, event $event', async (row) => {
    const stored = row.stored();
    const fakes = setup(stored);
    const result = await decide(fakes.deps, input(stored.request, row.over as Partial<DecisionInput>));
    expect(result.outcome).toBe(row.outcome);
    const now = (await fakes.requests.get(stored.request.id))!;
    expect(now.status).toBe(row.status);
    expect(result.request).toEqual(now);
    const events = await fakes.requests.listAudit(stored.request.id);
    if (row.event === undefined) {
      // an outsider's attempt is answered, never written
      expect(events).toEqual(stored.events);
      expect(result).toMatchObject({ audited: false });
    } else {
      expect(events.at(-1)).toMatchObject({ type: row.event, channel: 'slack' });
    }
  });

  it('needs two distinct people on a 2-of-3 profile: the second approval approves', async () => {
    const stored = requestIn('pending_approval', { profile: 'payments-it', route: PAYMENTS });
    const fakes = setup(stored);
    const first = await decide(fakes.deps, input(stored.request, {}));
    expect(first).toMatchObject({ outcome: 'recorded', remaining: 1 });
    const again = await decide(fakes.deps, input(stored.request, {}));
    expect(again).toMatchObject({ outcome: 'refused', code: 'duplicate' });
    const second = await decide(fakes.deps, input(stored.request, { person: 'carol' }));
    expect(second).toMatchObject({ outcome: 'approved', message: 'approved by alice and carol' });
  });

  it.each([
    ['approve', 'approved'],
    ['deny', 'denied'],
  ] as const)('resumes the waiting workflow once on %s, with %s', async (decision, sent) => {
    const stored = requestIn('pending_approval');
    const fakes = setup(stored, 'task-token-1');
    await decide(fakes.deps, input(stored.request, { decision }));
    expect(fakes.callback.successes).toEqual([{ taskToken: 'task-token-1', output: { decision: sent } }]);
    expect(await fakes.taskTokens.getTaskToken(stored.request.id)).toBeUndefined();
  });

  it('lets exactly one of 10 concurrent conflicting decisions decide', async () => {
    const stored = requestIn('pending_approval');
    const fakes = setup(stored, 'task-token-1');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        decide(
          fakes.deps,
          input(stored.request, { person: i % 2 ? 'alice' : 'bob', decision: i % 3 ? 'approve' : 'deny' }),
        ),
      ),
    );
    expect(results.filter((r) => r.outcome === 'approved' || r.outcome === 'denied')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'refused').map((r) => (r as { code: string }).code)).toEqual(
      Array(9).fill('not_pending'),
    );
    expect(fakes.callback.successes).toHaveLength(1);
  });

  it('leaves the workflow alone when it has not started waiting (no token yet)', async () => {
    const stored = requestIn('pending_approval');
    const fakes = setup(stored);
    await decide(fakes.deps, input(stored.request, {}));
    expect(fakes.callback.successes).toEqual([]);
  });

  it('works for any channel, recording who acted through it', async () => {
    const stored = requestIn('pending_approval');
    const fakes = setup(stored);
    await decide(
      fakes.deps,
      input(stored.request, { channel: 'api', actor: personPrincipal('alice').subject }),
    );
    expect((await fakes.requests.listAudit(stored.request.id)).at(-1)).toMatchObject({
      type: 'request_approved',
      actor: 'alice',
      channel: 'api',
      detail: { via: 'alice@example.com' },
    });
  });
});
