/**
 * Approval reuse inside one CI run, table-driven (SPEC.md "Approval reuse"): same run,
 * other run, re-run, narrower, wider, other profile, original released, expired or revoked,
 * window ending later; containment decided exactly, as for guardrails.
 */
import { describe, expect, it } from 'vitest';
import {
  type ReusableRequest,
  type ReuseCandidate,
  reusableOriginal,
  reuseRefusal,
  runOf,
} from '../../shared/domain/reuse.ts';

const NOW = new Date('2026-11-24T10:30:00.000Z');
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const GITHUB_RUN = { repository: 'acme/orders', run_id: '4242', run_attempt: '1', ref: 'refs/heads/feature' };

const original: ReusableRequest = {
  id: 'orig',
  profile: 'orders-it',
  status: 'issued',
  requesterIssuer: 'https://token.actions.githubusercontent.com',
  requesterClaims: GITHUB_RUN,
  approvalRoute: { kind: 'human', approvers: ['platform-leads'], minApprovals: 1 },
  sessionPolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: `${TABLE}*` }],
  },
  durationSeconds: 3600,
  windowSeconds: 4 * 3600,
  expiresAt: '2026-11-24T11:00:00.000Z',
  windowEndsAt: '2026-11-24T14:00:00.000Z',
};

const candidate: ReuseCandidate = {
  profile: 'orders-it',
  issuer: 'https://token.actions.githubusercontent.com',
  requesterClaims: GITHUB_RUN,
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  windowSeconds: 3600,
};

describe('approval reuse', () => {
  it.each<[string, Partial<ReuseCandidate>, Partial<ReusableRequest>, string | undefined]>([
    ['the same run, narrower', {}, {}, undefined],
    [
      'the same run, the same permissions',
      { permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [`${TABLE}*`] }] },
      {},
      undefined,
    ],
    [
      'a re-run of the run (a new attempt)',
      { requesterClaims: { ...GITHUB_RUN, run_attempt: '2' } },
      {},
      undefined,
    ],
    [
      'another run of the same repository',
      { requesterClaims: { ...GITHUB_RUN, run_id: '4243' } },
      {},
      'another run',
    ],
    [
      'another repository with the same run id',
      { requesterClaims: { ...GITHUB_RUN, repository: 'acme/billing' } },
      {},
      'another repository',
    ],
    ['another profile', { profile: 'payments-it' }, {}, 'another profile'],
    [
      'a wider action',
      { permissions: [{ actions: ['dynamodb:DeleteItem'], resources: [TABLE] }] },
      {},
      'asks for more than it was approved for',
    ],
    [
      'a wider resource (a wildcard reaching out)',
      {
        permissions: [
          { actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/*'] },
        ],
      },
      {},
      'asks for more than it was approved for',
    ],
    [
      'a case trick on the resource',
      { permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE.toUpperCase()] }] },
      {},
      'asks for more than it was approved for',
    ],
    ['the original released', {}, { status: 'released' }, 'it is released'],
    ['the original revoked', {}, { status: 'revoked' }, 'it is revoked'],
    ['the original expired', {}, { status: 'expired' }, 'it is expired'],
    ['the original still pending', {}, { status: 'pending_approval' }, 'it is pending_approval'],
    [
      'the original’s window has ended (not yet marked expired)',
      {},
      { windowEndsAt: '2026-11-24T10:29:59.000Z' },
      'its window has ended',
    ],
    [
      'a window as long as the one people approved, asked later (it ends with the original’s)',
      { windowSeconds: 4 * 3600 },
      {},
      undefined,
    ],
    [
      'a window longer than the one people approved (it would end later)',
      { windowSeconds: 5 * 3600 },
      {},
      'asks for a longer window than people approved',
    ],
    [
      'the original’s window ends within 15 minutes: no room for a session',
      {},
      { windowEndsAt: '2026-11-24T10:44:59.000Z' },
      'its window ends in less than one session (15 minutes)',
    ],
    [
      'the original approved by a rule',
      {},
      { approvalRoute: { kind: 'auto', rule: 0 } },
      'not approved by people',
    ],
    ['the original itself approved by reuse', {}, { reuseOf: 'older' }, 'not approved by people'],
    [
      'another token issuer naming the same repository and run',
      { issuer: 'https://gitlab.example.com' },
      {},
      'another token issuer',
    ],
    [
      'a token naming no run',
      { requesterClaims: { repository: 'acme/orders' } },
      {},
      'no repository and run in the token',
    ],
  ])('%s', (_, c, o, refusal) => {
    expect(reuseRefusal({ ...candidate, ...c }, { ...original, ...o }, NOW)).toBe(refusal);
  });

  it('GitLab: project_path and pipeline_id name the run', () => {
    const gitlab = { project_path: 'acme/orders', pipeline_id: '991', user_login: 'dave' };
    expect(runOf(gitlab)).toEqual({ repository: 'acme/orders', run: '991' });
    expect(
      reuseRefusal({ ...candidate, requesterClaims: gitlab }, { ...original, requesterClaims: gitlab }, NOW),
    ).toBeUndefined();
    expect(
      reuseRefusal(
        { ...candidate, requesterClaims: { ...gitlab, pipeline_id: '992' } },
        { ...original, requesterClaims: gitlab },
        NOW,
      ),
    ).toBe('another run');
  });

  it('picks the first original that approves, skipping those that do not', () => {
    const released = { ...original, id: 'a', status: 'released' as const };
    const ok = { ...original, id: 'b' };
    expect(reusableOriginal(candidate, [released, ok], NOW)?.id).toBe('b');
    expect(reusableOriginal(candidate, [released], NOW)).toBeUndefined();
  });
});
