/**
 * The release use case on the shared fakes: who may release, from which status, what goes on
 * the role (through the SessionRevoker port) and into the audit trail, and who is told.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../../shared/domain/deps.ts';
import { ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import type { Person } from '../../../shared/domain/profile.ts';
import type { AccessRequest, AuditEvent, Principal, RequestStatus } from '../../../shared/domain/types.ts';
import { releaseRequest } from '../../../shared/domain/use-cases/release-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';

const NOW = new Date('2026-11-29T10:05:00.000Z');
const EXPIRES = '2026-11-29T10:15:00.000Z';
const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
const ID = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';
const REQUESTER: Principal = {
  issuer: 'https://token.actions.githubusercontent.com',
  subject: 'repo:acme/orders:ref:refs/heads/main',
  claims: {},
};
const REQUESTER_KEY = `${REQUESTER.issuer}#${REQUESTER.subject}`;
const OTHER: Principal = { ...REQUESTER, subject: 'repo:acme/orders:ref:refs/heads/feature' };
/** the same subject from another issuer is someone else */
const IMPOSTOR: Principal = { ...REQUESTER, issuer: 'https://gitlab.example.com' };

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: ID,
    profile: 'orders-it',
    requester: REQUESTER.subject,
    requesterIssuer: REQUESTER.issuer,
    requesterClaims: {},
    status: 'issued',
    permissions: [],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'hash',
    durationSeconds: 900,
    reason: 'tests',
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    createdAt: '2026-11-29T09:59:00.000Z',
    updatedAt: '2026-11-29T10:00:00.000Z',
    approvalDeadline: '2026-11-29T10:29:00.000Z',
    issuedAt: '2026-11-29T10:00:00.000Z',
    expiresAt: EXPIRES,
    version: 4,
    auditHead: 'head',
    auditCount: 4,
    ...overrides,
  };
}

interface Fakes {
  deps: Deps;
  commits: Array<{ next: AccessRequest; event: AuditEvent; options: unknown }>;
  revoked: unknown[];
  releasedDenies: unknown[];
  told: Array<{ id: string; status: RequestStatus; approvers: string[] }>;
  /** what the store holds */
  current: () => Promise<AccessRequest>;
}

/** The shared fakes (test/fakes), with every committed change recorded and a race on demand. */
function fakes(
  initial: AccessRequest,
  options: {
    notifier?: 'ok' | 'throws' | 'none';
    /** the store's state after a conflicting write (the first commit then fails) */
    raceTo?: AccessRequest;
  } = {},
): Fakes {
  const f = fakeDeps({ now: NOW.toISOString() });
  f.requests.seed(initial);
  let race = options.raceTo;
  const commits: Fakes['commits'] = [];
  const commit = f.deps.store.commit;
  f.deps.store.commit = async (prev, next, event, opts) => {
    if (race) {
      // another writer got there first
      f.requests.seed(race);
      race = undefined;
    }
    await commit(prev, next, event, opts);
    commits.push({ next, event, options: opts });
  };
  const told: Fakes['told'] = [];
  f.deps.notifier =
    options.notifier === 'none'
      ? { requestApproval: async () => ({}) }
      : {
          requestApproval: async () => ({}),
          requestEnded: async (r: AccessRequest, people: Person[]) => {
            if (options.notifier === 'throws') throw new Error('slack is down');
            told.push({ id: r.id, status: r.status, approvers: people.map((p) => p.name) });
            return { slack: `sent to ${people.length} approvers` };
          },
        };
  return {
    deps: f.deps,
    commits,
    revoked: f.revoker.revoked,
    releasedDenies: f.revoker.released,
    told,
    current: async () => (await f.requests.get(initial.id))!,
  };
}

describe('releaseRequest', () => {
  it('denies the session on the role until its expiry, then records released with its audit event', async () => {
    const f = fakes(request());
    const result = await releaseRequest(f.deps, REQUESTER, ID);
    expect(f.revoked).toEqual([{ roleArn: ROLE, sourceIdentity: `jitvend-${ID}`, expiresAt: EXPIRES }]);
    const [release, notice] = f.commits;
    expect(release!.next).toMatchObject({
      status: 'released',
      statusReason: 'released by the requester',
      revocation: { at: NOW.toISOString(), by: REQUESTER.subject },
    });
    expect(release!.event).toMatchObject({
      type: 'request_released',
      actor: REQUESTER_KEY,
      channel: 'api',
      from: 'issued',
      to: 'released',
      seq: 5,
      detail: { sourceIdentity: `jitvend-${ID}`, roleArn: ROLE, deniedUntil: EXPIRES },
    });
    // stored credentials (if never fetched) go with the change
    expect(release!.options).toEqual({ deleteCredentials: 'if_present' });
    expect(f.told).toEqual([{ id: ID, status: 'released', approvers: ['alice', 'bob'] }]);
    expect(notice!.event).toMatchObject({
      type: 'approvers_notified',
      detail: { about: 'released', approvers: ['alice', 'bob'], channels: { slack: 'sent to 2 approvers' } },
    });
    expect(result.status).toBe('released');
    expect(result.version).toBe(6);
  });

  it('tells nobody about an auto-approved request (nobody was asked)', async () => {
    const f = fakes(request({ approvalRoute: { kind: 'auto', rule: 0 } }));
    await releaseRequest(f.deps, REQUESTER, ID);
    expect(f.told).toEqual([]);
    expect(f.commits.map((c) => c.event.type)).toEqual(['request_released']);
  });

  it('still releases when telling the approvers fails, and the audit says so', async () => {
    const f = fakes(request(), { notifier: 'throws' });
    const result = await releaseRequest(f.deps, REQUESTER, ID);
    expect(result.status).toBe('released');
    expect(f.commits[1]!.event.detail).toMatchObject({ channels: { all: 'failed: slack is down' } });
  });

  it('works with a notifier that cannot tell anyone (requestEnded is optional)', async () => {
    const f = fakes(request(), { notifier: 'none' });
    expect((await releaseRequest(f.deps, REQUESTER, ID)).status).toBe('released');
  });

  it.each([
    ['another subject of the same issuer', OTHER],
    ['the same subject from another issuer', IMPOSTOR],
  ])('refuses anyone but the requester (403), before touching the role: %s', async (_who, principal) => {
    const f = fakes(request());
    await expect(releaseRequest(f.deps, principal, ID)).rejects.toBeInstanceOf(ForbiddenError);
    expect(f.revoked).toEqual([]);
    expect(f.commits).toEqual([]);
  });

  it.each<RequestStatus>([
    'pending_approval',
    'approved',
    'expired',
    'denied',
    'timed_out',
    'cancelled',
    'revoked',
    'released',
    'failed',
  ])('refuses a %s request (409) and changes nothing', async (status) => {
    const f = fakes(request({ status }));
    const error = await releaseRequest(f.deps, REQUESTER, ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).extra).toEqual({ requestStatus: status });
    expect(f.revoked).toEqual([]);
    expect(f.commits).toEqual([]);
  });

  it('lifts its own deny again when the session expired while it was releasing', async () => {
    const f = fakes(request(), { raceTo: request({ status: 'expired', version: 5 }) });
    await expect(releaseRequest(f.deps, REQUESTER, ID)).rejects.toBeInstanceOf(ConflictError);
    expect(f.revoked).toHaveLength(1);
    expect(f.releasedDenies).toEqual([{ roleArn: ROLE, sourceIdentity: `jitvend-${ID}` }]);
    expect((await f.current()).status).toBe('expired');
  });

  it('retries on a concurrent change that left it issued (e.g. the credentials were just fetched)', async () => {
    const fetched = request({ version: 5, auditCount: 5, credentialsDeliveredAt: NOW.toISOString() });
    const f = fakes(request(), { raceTo: fetched });
    const result = await releaseRequest(f.deps, REQUESTER, ID);
    expect(result.status).toBe('released');
    expect(f.commits[0]!.event.seq).toBe(6);
  });
});
