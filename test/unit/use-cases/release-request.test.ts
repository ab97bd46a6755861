/**
 * The requester ends its own issued session, on the shared fakes: the deny goes on first, the
 * request says released, the approvers who were asked are told. (test/unit/release-request.test.ts
 * checks the same use case on its own stub with the exact writes.)
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { releaseRequest } from '../../../shared/domain/use-cases/release-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { advance, at, IMPOSTOR, personPrincipal, REQUESTER, requestIn } from '../../helpers/requests.ts';

const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';

function setup(status: Parameters<typeof requestIn>[0] = 'issued') {
  const fakes = fakeDeps({ now: at(300) });
  const stored = requestIn(status);
  fakes.requests.seed(stored.request, stored.events, { ciphertext: 'x', expiration: at(1020) });
  return { ...fakes, stored, id: stored.request.id };
}

describe('releaseRequest', () => {
  it('denies the session on the role, marks the request released and tells the approvers who were asked', async () => {
    const fakes = setup();
    const released = await releaseRequest(fakes.deps, REQUESTER, fakes.id);
    expect(fakes.revoker.revoked).toEqual([
      { roleArn: ROLE, sourceIdentity: `jitvend-${fakes.id}`, expiresAt: at(1020) },
    ]);
    expect(released).toMatchObject({
      status: 'released',
      revocation: { at: at(300), by: REQUESTER.subject },
    });
    expect(await fakes.requests.getCredentials(fakes.id)).toBeUndefined();
    expect(fakes.notifier.ended).toEqual([{ requestId: fakes.id, approvers: ['alice', 'bob'] }]);
    expect((await fakes.requests.listAudit(fakes.id)).slice(-2)).toMatchObject([
      { type: 'request_released', from: 'issued', to: 'released', detail: { deniedUntil: at(1020) } },
      { type: 'approvers_notified', detail: { about: 'released', channels: { email: 'sent' } } },
    ]);
  });

  it('stays released when telling the approvers fails, and the trail says why', async () => {
    const fakes = setup();
    fakes.notifier.endedAnswer = new Error('slack is down');
    expect(await releaseRequest(fakes.deps, REQUESTER, fakes.id)).toMatchObject({ status: 'released' });
    expect((await fakes.requests.listAudit(fakes.id)).at(-1)).toMatchObject({
      type: 'approvers_notified',
      detail: { channels: { all: 'failed: slack is down' } },
    });
  });

  it.each([
    { case: 'an approver', status: 'issued', principal: personPrincipal('alice'), error: ForbiddenError },
    { case: 'its subject at another issuer', status: 'issued', principal: IMPOSTOR, error: ForbiddenError },
    { case: 'a request not issued yet', status: 'approved', principal: REQUESTER, error: ConflictError },
    { case: 'an expired request', status: 'expired', principal: REQUESTER, error: ConflictError },
  ] as const)('refuses $case and touches no role', async ({ status, principal, error }) => {
    const fakes = setup(status);
    await expect(releaseRequest(fakes.deps, principal as Principal, fakes.id)).rejects.toThrow(error);
    expect(fakes.revoker.revoked).toEqual([]);
    expect(fakes.requests.writes).toBe(0);
  });

  it('removes its own deny again when the request expired meanwhile, and answers 409', async () => {
    const fakes = setup();
    const expired = advance(fakes.stored, {
      to: 'expired',
      event: { type: 'request_expired', actor: 'jitvend', channel: 'workflow', at: at(300) },
    });
    const commit = fakes.deps.store.commit;
    fakes.deps.store.commit = (...args) => {
      // the Expire step writes first
      fakes.requests.seed(expired.request, expired.events);
      return commit(...args);
    };
    await expect(releaseRequest(fakes.deps, REQUESTER, fakes.id)).rejects.toThrow(/is expired/);
    expect(fakes.revoker.released).toEqual([{ roleArn: ROLE, sourceIdentity: `jitvend-${fakes.id}` }]);
  });
});
