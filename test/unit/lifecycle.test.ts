import { describe, expect, it } from 'vitest';
import { chainAuditEvent, GENESIS_HASH, verifyAuditChain } from '../../shared/domain/audit.ts';
import { InvalidTransitionError } from '../../shared/domain/errors.ts';
import { canTransition, isTerminal, TRANSITIONS } from '../../shared/domain/lifecycle.ts';
import { applyChange } from '../../shared/domain/transition.ts';
import { type AccessRequest, REQUEST_STATUSES, type RequestStatus } from '../../shared/domain/types.ts';

function request(status: RequestStatus): AccessRequest {
  const first = chainAuditEvent('r1', 1, GENESIS_HASH, {
    type: 'request_created',
    actor: 'repo:acme/orders:ref:refs/heads/main',
    channel: 'api',
    at: '2026-11-24T00:00:00.000Z',
  });
  return {
    id: 'r1',
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/main',
    requesterClaims: {},
    status,
    permissions: [],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'r',
    approvals: [],
    approvalRoute: { kind: 'auto', rule: 0 },
    createdAt: '2026-11-24T00:00:00.000Z',
    updatedAt: '2026-11-24T00:00:00.000Z',
    approvalDeadline: '2026-11-24T00:30:00.000Z',
    version: 1,
    auditHead: first.hash,
    auditCount: 1,
  };
}

describe('request lifecycle (SPEC.md)', () => {
  it.each([
    ['pending_approval', 'approved'],
    ['approved', 'issued'],
    ['issued', 'expired'],
    ['pending_approval', 'denied'],
    ['pending_approval', 'timed_out'],
    ['pending_approval', 'cancelled'],
    ['approved', 'cancelled'],
    ['issued', 'revoked'],
    ['issued', 'released'],
    ['approved', 'failed'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['pending_approval', 'issued'],
    ['issued', 'cancelled'],
    ['approved', 'revoked'],
    ['approved', 'released'],
    ['pending_approval', 'released'],
    ['issued', 'approved'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() =>
      applyChange(request(from), {
        to,
        event: { type: 'request_approved', actor: 'x', channel: 'api', at: 't' },
      }),
    ).toThrow(InvalidTransitionError);
  });

  it('never changes a terminal state again', () => {
    const terminal = REQUEST_STATUSES.filter(isTerminal);
    expect(terminal.sort()).toEqual([
      'cancelled',
      'denied',
      'expired',
      'failed',
      'released',
      'revoked',
      'timed_out',
    ]);
    for (const from of terminal)
      for (const to of REQUEST_STATUSES) expect(canTransition(from, to)).toBe(false);
  });

  it('every status in the table is a known status', () => {
    for (const targets of Object.values(TRANSITIONS))
      for (const t of targets) expect(REQUEST_STATUSES).toContain(t);
  });

  it('a change bumps the version and extends the audit chain by one linked event', () => {
    const prev = request('pending_approval');
    const { next, event } = applyChange(prev, {
      to: 'approved',
      event: { type: 'request_approved', actor: 'rule:0', channel: 'rule', at: '2026-11-24T00:00:01.000Z' },
    });
    expect(next).toMatchObject({ status: 'approved', version: 2, auditCount: 2, auditHead: event.hash });
    expect(event).toMatchObject({
      seq: 2,
      prevHash: prev.auditHead,
      from: 'pending_approval',
      to: 'approved',
    });
  });
});

describe('audit hash chain', () => {
  function chain() {
    const e1 = chainAuditEvent('r1', 1, GENESIS_HASH, {
      type: 'request_created',
      actor: 'a',
      channel: 'api',
      at: 't1',
    });
    const e2 = chainAuditEvent('r1', 2, e1.hash, {
      type: 'request_approved',
      actor: 'b',
      channel: 'slack',
      at: 't2',
    });
    const e3 = chainAuditEvent('r1', 3, e2.hash, {
      type: 'credentials_issued',
      actor: 'jitvend',
      channel: 'workflow',
      at: 't3',
    });
    return [e1, e2, e3];
  }

  it('verifies an intact chain with its head', () => {
    const events = chain();
    expect(verifyAuditChain(events, events[2]!.hash)).toEqual({ ok: true });
  });

  it('detects an edited event', () => {
    const events = chain();
    events[1] = { ...events[1]!, actor: 'mallory' };
    expect(verifyAuditChain(events)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('detects a removed event in the middle and at the end', () => {
    const events = chain();
    expect(verifyAuditChain([events[0]!, events[2]!])).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: 'event 2 has seq 3',
    });
    expect(verifyAuditChain(events.slice(0, 2), events[2]!.hash)).toMatchObject({ ok: false });
  });
});
