/** An approver stops an issued session: the deny goes on the role first, then the request says revoked. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import { revokeRequest } from '../../../shared/domain/use-cases/revoke-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn } from '../../helpers/requests.ts';

const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';

describe('revokeRequest', () => {
  it('puts the deny on the role for the session, then marks the request revoked with the reason', async () => {
    const fakes = fakeDeps();
    const stored = requestIn('issued');
    fakes.requests.seed(stored.request, stored.events, { ciphertext: 'x', expiration: at(1020) });
    const revoked = await revokeRequest(fakes.deps, {
      requestId: stored.request.id,
      person: 'alice',
      actor: 'U0ALICE01',
      channel: 'slack',
      reason: 'leaked in a log',
    });
    expect(fakes.revoker.revoked).toEqual([
      { roleArn: ROLE, sourceIdentity: `jitvend-${stored.request.id}`, expiresAt: at(1020) },
    ]);
    expect(revoked).toMatchObject({
      status: 'revoked',
      revocation: { at: at(200), by: 'alice' },
      statusReason: 'revoked by alice: leaked in a log',
    });
    expect(await fakes.requests.getCredentials(stored.request.id)).toBeUndefined();
    expect((await fakes.requests.listAudit(stored.request.id)).at(-1)).toMatchObject({
      type: 'request_revoked',
      actor: 'alice',
      detail: { via: 'U0ALICE01', reason: 'leaked in a log' },
    });
  });

  it.each([
    {
      case: 'someone who approves another profile only',
      status: 'issued',
      person: 'carol',
      error: ForbiddenError,
    },
    {
      case: 'someone who is no configured person',
      status: 'issued',
      person: undefined,
      error: ForbiddenError,
    },
    { case: 'a pending request', status: 'pending_approval', person: 'alice', error: ConflictError },
    { case: 'an expired request', status: 'expired', person: 'alice', error: ConflictError },
    { case: 'a request already revoked', status: 'revoked', person: 'bob', error: ConflictError },
  ] as const)('refuses $case, and touches no role', async ({ status, person, error }) => {
    const fakes = fakeDeps();
    const stored = requestIn(status);
    fakes.requests.seed(stored.request, stored.events);
    await expect(
      revokeRequest(fakes.deps, { requestId: stored.request.id, person, actor: 'x', channel: 'api' }),
    ).rejects.toThrow(error);
    expect(fakes.revoker.revoked).toEqual([]);
    expect(fakes.requests.writes).toBe(0);
  });
});
