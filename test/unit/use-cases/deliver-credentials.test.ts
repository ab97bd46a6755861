/** The requester gets the credentials exactly once, while they are valid; nobody else ever. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { deliverCredentials } from '../../../shared/domain/use-cases/deliver-credentials.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, IMPOSTOR, personPrincipal, REQUESTER, requestIn } from '../../helpers/requests.ts';

const CREDENTIALS = {
  accessKeyId: 'ASIAFAKEFAKEFAKE',
  secretAccessKey: 'fake-secret',
  sessionToken: 'fake-session-token',
  expiration: at(1020),
};

async function setup(
  status: Parameters<typeof requestIn>[0],
  options: { now?: string; sealed?: boolean } = {},
) {
  const fakes = fakeDeps({ now: options.now ?? at(200) });
  const stored = requestIn(status);
  const sealed =
    options.sealed === false ? undefined : await fakes.vault.seal(stored.request.id, CREDENTIALS);
  fakes.requests.seed(stored.request, stored.events, status === 'issued' ? sealed : undefined);
  return { ...fakes, id: stored.request.id };
}

describe('deliverCredentials', () => {
  it('gives the requester the credentials once, records it and deletes the sealed copy', async () => {
    const fakes = await setup('issued');
    expect(await deliverCredentials(fakes.deps, REQUESTER, fakes.id)).toEqual(CREDENTIALS);
    expect(await fakes.requests.getWithCredentials(fakes.id)).toMatchObject({
      request: { credentialsDeliveredAt: at(200) },
      credentials: undefined,
    });
    expect((await fakes.requests.listAudit(fakes.id)).at(-1)).toMatchObject({
      type: 'credentials_delivered',
      detail: { expiration: at(1020) },
    });
    await expect(deliverCredentials(fakes.deps, REQUESTER, fakes.id)).rejects.toThrow(/already delivered/);
  });

  it.each([
    { case: 'an approver', status: 'issued', principal: personPrincipal('alice'), error: ForbiddenError },
    { case: 'its subject at another issuer', status: 'issued', principal: IMPOSTOR, error: ForbiddenError },
    { case: 'a pending request', status: 'pending_approval', principal: REQUESTER, error: ConflictError },
    {
      case: 'an approved request not issued yet',
      status: 'approved',
      principal: REQUESTER,
      error: ConflictError,
    },
    { case: 'an expired request', status: 'expired', principal: REQUESTER, error: GoneError },
    { case: 'a revoked request', status: 'revoked', principal: REQUESTER, error: GoneError },
  ] as const)('refuses $case: $error.name', async ({ status, principal, error }) => {
    const fakes = await setup(status);
    await expect(deliverCredentials(fakes.deps, principal as Principal, fakes.id)).rejects.toThrow(error);
    expect(fakes.requests.writes).toBe(0);
  });

  it('refuses credentials past their expiration (410), even if the request still says issued', async () => {
    const fakes = await setup('issued', { now: at(1020) });
    await expect(deliverCredentials(fakes.deps, REQUESTER, fakes.id)).rejects.toThrow(/have expired/);
  });

  it('answers 404 for an unknown request', async () => {
    const fakes = await setup('issued');
    await expect(deliverCredentials(fakes.deps, REQUESTER, 'no-such-request')).rejects.toThrow(NotFoundError);
  });

  it('delivers to exactly one of 5 racing fetches; the others get 410', async () => {
    const fakes = await setup('issued');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => deliverCredentials(fakes.deps, REQUESTER, fakes.id)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(GoneError);
  });
});
