import { describe, expect, it } from 'vitest';
import { approvalRouteFor, judgeDecision } from '../../shared/domain/approval.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import type { AccessRequest, Approval } from '../../shared/domain/types.ts';

const NOW = new Date('2026-11-24T10:00:00.000Z');

function pending(overrides: Partial<AccessRequest> = {}, minApprovals = 2): AccessRequest {
  return {
    id: 'r1',
    profile: 'payments-it',
    requester: 'repo:acme/payments:ref:refs/heads/feature',
    requesterClaims: {},
    initiator: 'carol',
    status: 'pending_approval',
    permissions: [],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'tests',
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals },
    createdAt: '2026-11-24T09:50:00.000Z',
    updatedAt: '2026-11-24T09:50:00.000Z',
    approvalDeadline: '2026-11-24T10:05:00.000Z',
    version: 3,
    auditHead: 'x',
    auditCount: 3,
    ...overrides,
  };
}

const approvedBy = (person: string): Approval => ({
  person,
  decision: 'approve',
  channel: 'slack',
  at: NOW.toISOString(),
});

describe('approval rules', () => {
  it.each([
    [
      'first of two approvals is recorded, one more needed',
      pending(),
      'alice',
      'approve',
      { kind: 'approve', final: false, remaining: 1 },
    ],
    [
      'second distinct approval reaches the threshold',
      pending({ approvals: [approvedBy('alice')] }),
      'bob',
      'approve',
      { kind: 'approve', final: true, remaining: 0 },
    ],
    [
      'a single approval is enough for minApprovals 1',
      pending({}, 1),
      'bob',
      'approve',
      { kind: 'approve', final: true, remaining: 0 },
    ],
    [
      'the same person twice counts once',
      pending({ approvals: [approvedBy('alice')] }),
      'alice',
      'approve',
      { kind: 'refused', code: 'duplicate' },
    ],
    [
      'the initiator cannot approve its own run',
      pending(),
      'carol',
      'approve',
      { kind: 'refused', code: 'initiator' },
    ],
    ['the initiator may still deny', pending(), 'carol', 'deny', { kind: 'deny' }],
    ['a non-approver cannot decide', pending(), 'dave', 'approve', { kind: 'refused', code: 'not_approver' }],
    [
      'a non-approver cannot deny either',
      pending(),
      'dave',
      'deny',
      { kind: 'refused', code: 'not_approver' },
    ],
    [
      'someone who is no configured person',
      pending(),
      undefined,
      'approve',
      { kind: 'refused', code: 'unknown_person' },
    ],
    [
      'deny wins, even after an approval',
      pending({ approvals: [approvedBy('alice')] }),
      'bob',
      'deny',
      { kind: 'deny' },
    ],
    [
      'a decision after the deadline changes nothing',
      pending({ approvalDeadline: '2026-11-24T09:59:59.000Z' }),
      'alice',
      'approve',
      { kind: 'refused', code: 'too_late' },
    ],
    [
      'a decision after a timeout changes nothing',
      pending({ status: 'timed_out' }),
      'alice',
      'approve',
      { kind: 'refused', code: 'not_pending' },
    ],
    [
      'a decision after a deny changes nothing',
      pending({ status: 'denied' }),
      'alice',
      'approve',
      { kind: 'refused', code: 'not_pending' },
    ],
    [
      'a request approved by rule takes no human decision',
      pending({ approvalRoute: { kind: 'auto', rule: 0 } }),
      'alice',
      'approve',
      { kind: 'refused', code: 'auto' },
    ],
  ] as const)('%s', (_, request, person, decision, expected) => {
    expect(judgeDecision(request, person, decision, NOW)).toMatchObject(expected);
  });

  it('says why a refusal happened, naming the person', () => {
    const verdict = judgeDecision(pending(), 'carol', 'approve', NOW);
    expect(verdict).toMatchObject({
      why: 'carol started this pipeline and cannot approve its own request: another approver must',
    });
  });
});

describe('approval route', () => {
  const profile: Profile = {
    name: 'orders-it',
    roleArn: 'arn:aws:iam::123456789012:role/r',
    maxDurationSeconds: 3600,
    defaultDurationSeconds: 900,
    requesters: [{ repository: 'acme/orders' }],
    allow: [],
    allowEscalation: false,
    approval: {
      autoApprove: [
        { readOnly: true, claims: { ref: 'refs/heads/main' } },
        { maxDurationSeconds: 900, claims: { environment: 'ci' } },
      ],
      approvers: ['leads'],
      minApprovals: 1,
      timeoutSeconds: 1800,
    },
  };
  const config = {
    groups: { leads: ['alice', 'bob'] },
    people: { alice: { name: 'alice' }, bob: { name: 'bob' } },
  };

  it.each([
    ['read-only from main → rule 0', { ref: 'refs/heads/main' }, 900, true, { kind: 'auto', rule: 0 }],
    [
      'writes from main → people',
      { ref: 'refs/heads/main' },
      900,
      false,
      { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    ],
    ['read-only from a branch → people', { ref: 'refs/heads/x' }, 900, true, { kind: 'human' }],
    [
      'short request from the ci environment → rule 1',
      { environment: 'ci' },
      900,
      false,
      { kind: 'auto', rule: 1 },
    ],
    [
      'longer request from the ci environment → people',
      { environment: 'ci' },
      1800,
      false,
      { kind: 'human' },
    ],
  ] as const)('%s', (_, claims, durationSeconds, readOnly, expected) => {
    expect(approvalRouteFor(config, profile, { claims, durationSeconds, readOnly })).toMatchObject(expected);
  });

  it.each([
    ['a one-session window → rule 1', 900, { kind: 'auto', rule: 1 }],
    [
      'a short session in a longer window → people (the rule bounds how long access lasts)',
      7200,
      { kind: 'human' },
    ],
  ] as const)('%s', (_, windowSeconds, expected) => {
    const facts = { claims: { environment: 'ci' }, durationSeconds: 900, windowSeconds, readOnly: false };
    expect(approvalRouteFor(config, profile, facts)).toMatchObject(expected);
  });
});
