/** The requester withdraws a request that is not issued yet; anyone else, or later, is refused. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { cancelRequest } from '../../../shared/domain/use-cases/cancel-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, IMPOSTOR, personPrincipal, REQUESTER, requestIn } from '../../helpers/requests.ts';

describe('cancelRequest', () => {
  it.each([
    { status: 'pending_approval', who: 'the requester', principal: REQUESTER, error: undefined },
    { status: 'approved', who: 'the requester', principal: REQUESTER, error: undefined },
    { status: 'issued', who: 'the requester', principal: REQUESTER, error: ConflictError },
    { status: 'denied', who: 'the requester', principal: REQUESTER, error: ConflictError },
    {
      status: 'pending_approval',
      who: 'an approver',
      principal: personPrincipal('alice'),
      error: ForbiddenError,
    },
    {
      status: 'pending_approval',
      who: 'its subject at another issuer',
      principal: IMPOSTOR,
      error: ForbiddenError,
    },
  ] as const)('$status request, by $who: $error', async ({ status, principal, error }) => {
    const fakes = fakeDeps();
    const stored = requestIn(status);
    fakes.requests.seed(stored.request, stored.events);
    const outcome = cancelRequest(fakes.deps, principal as Principal, stored.request.id);
    if (error) {
      await expect(outcome).rejects.toThrow(error);
      expect(fakes.requests.writes).toBe(0);
      return;
    }
    const cancelled = await outcome;
    expect(cancelled).toMatchObject({ status: 'cancelled', statusReason: 'cancelled by the requester' });
    expect((await fakes.requests.listAudit(stored.request.id)).at(-1)).toMatchObject({
      type: 'request_cancelled',
      actor: `${REQUESTER.issuer}#${REQUESTER.subject}`,
      from: status,
      to: 'cancelled',
    });
  });

  it('ends a waiting workflow as cancelled', async () => {
    const fakes = fakeDeps();
    const stored = requestIn('pending_approval');
    fakes.requests.seed(stored.request, stored.events);
    await fakes.taskTokens.saveTaskToken(stored.request.id, 'task-token-1', at(1800));
    await cancelRequest(fakes.deps, REQUESTER, stored.request.id);
    expect(fakes.callback.successes).toEqual([
      { taskToken: 'task-token-1', output: { decision: 'cancelled' } },
    ]);
  });
});
