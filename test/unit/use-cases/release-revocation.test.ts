/** The deny of a revocation leaves the role once the session would have expired plus the grace. */
import { describe, expect, it } from 'vitest';
import { denyUntil } from '../../../shared/domain/revocation.ts';
import { releaseRevocation } from '../../../shared/domain/use-cases/release-revocation.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn } from '../../helpers/requests.ts';

describe('releaseRevocation', () => {
  const revoked = requestIn('revoked');
  const releaseAt = denyUntil(at(1020));

  it('before the deny may go: nothing changes, and it says when to come back', async () => {
    const fakes = fakeDeps({ now: at(1020) });
    fakes.requests.seed(revoked.request, revoked.events);
    expect(await releaseRevocation(fakes.deps, revoked.request)).toEqual({ nextAt: releaseAt });
    expect(fakes.revoker.released).toEqual([]);
    expect(fakes.requests.writes).toBe(0);
  });

  it('from then on: removes the deny and records revocation_released', async () => {
    const fakes = fakeDeps({ now: releaseAt });
    fakes.requests.seed(revoked.request, revoked.events);
    expect(await releaseRevocation(fakes.deps, revoked.request)).toEqual({});
    expect(fakes.revoker.released).toEqual([
      {
        roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
        sourceIdentity: `jitvend-${revoked.request.id}`,
      },
    ]);
    const now = (await fakes.requests.get(revoked.request.id))!;
    expect(now.revocation).toEqual({
      at: at(300),
      by: 'alice',
      releasedAt: new Date(releaseAt).toISOString(),
    });
    expect((await fakes.requests.listAudit(revoked.request.id)).at(-1)).toMatchObject({
      type: 'revocation_released',
    });
  });

  it.each([
    ['an expired request never revoked', requestIn('expired')],
    [
      'a revocation already released',
      {
        ...revoked,
        request: { ...revoked.request, revocation: { at: at(300), by: 'alice', releasedAt: at(2000) } },
      },
    ],
  ])('has nothing to do for %s', async (_, stored) => {
    const fakes = fakeDeps({ now: at(5000) });
    fakes.requests.seed(stored.request, stored.events);
    expect(await releaseRevocation(fakes.deps, stored.request)).toEqual({});
    expect(fakes.revoker.released).toEqual([]);
  });
});
