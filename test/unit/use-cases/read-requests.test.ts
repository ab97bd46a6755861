/** Reading requests: who sees which request, its audit trail, and the lists. */
import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { getRequest, listRequests, requestAudit } from '../../../shared/domain/use-cases/read-requests.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { advance, at, IMPOSTOR, personPrincipal, REQUESTER, requestIn } from '../../helpers/requests.ts';

function seeded() {
  const fakes = fakeDeps();
  const orders = requestIn('issued', { createdAt: at(0) });
  const payments = requestIn('pending_approval', { profile: 'payments-it', createdAt: at(60) });
  const other = requestIn('pending_approval', {
    requester: 'repo:acme/other:ref:refs/heads/main',
    createdAt: at(120),
  });
  for (const s of [orders, payments, other]) fakes.requests.seed(s.request, s.events);
  return { ...fakes, orders, payments, other };
}

describe('getRequest and requestAudit', () => {
  it.each([
    { who: 'the requester', principal: REQUESTER, error: undefined },
    { who: 'an approver of its profile', principal: personPrincipal('bob'), error: undefined },
    {
      who: 'an approver of another profile only',
      principal: personPrincipal('carol'),
      error: ForbiddenError,
    },
    { who: 'its subject at another issuer', principal: IMPOSTOR, error: ForbiddenError },
  ])('$who: $error', async ({ principal, error }) => {
    const fakes = seeded();
    const id = fakes.orders.request.id;
    if (error) {
      await expect(getRequest(fakes.deps, principal as Principal, id)).rejects.toThrow(error);
      await expect(requestAudit(fakes.deps, principal as Principal, id)).rejects.toThrow(error);
      return;
    }
    expect(await getRequest(fakes.deps, principal as Principal, id)).toEqual(fakes.orders.request);
    expect(await requestAudit(fakes.deps, principal as Principal, id)).toEqual({
      items: fakes.orders.events,
      head: fakes.orders.request.auditHead,
    });
  });

  it('is 404 for an unknown request', async () => {
    const fakes = seeded();
    await expect(getRequest(fakes.deps, REQUESTER, 'no-such-request')).rejects.toThrow(NotFoundError);
  });

  it('leaves out events written after the request it read (the chain always checks)', async () => {
    const fakes = seeded();
    const later = advance(fakes.orders, {
      event: { type: 'approvers_notified', actor: 'jitvend', channel: 'system', at: at(150) },
    });
    // the event is stored, the request still shows the head before it
    fakes.requests.seed(fakes.orders.request, later.events);
    expect((await requestAudit(fakes.deps, REQUESTER, fakes.orders.request.id)).items).toEqual(
      fakes.orders.events,
    );
  });

  it('with waitSeconds, answers at once a request that is not on its way', async () => {
    const fakes = seeded();
    expect(await getRequest(fakes.deps, REQUESTER, fakes.orders.request.id, 20)).toEqual(
      fakes.orders.request,
    );
  });
});

describe('listRequests', () => {
  it.each([
    { who: 'a pipeline', principal: REQUESTER, sees: ['payments', 'orders'] },
    { who: 'carol, approver of payments-it', principal: personPrincipal('carol'), sees: ['payments'] },
    {
      who: 'alice, approver of both',
      principal: personPrincipal('alice'),
      sees: ['other', 'payments', 'orders'],
    },
    { who: 'the same subject at another issuer', principal: IMPOSTOR, sees: [] },
  ])('$who sees $sees, newest first', async ({ principal, sees }) => {
    const fakes = seeded();
    const names = new Map([
      [fakes.orders.request.id, 'orders'],
      [fakes.payments.request.id, 'payments'],
      [fakes.other.request.id, 'other'],
    ]);
    const page = await listRequests(fakes.deps, principal as Principal, { limit: 10 });
    expect(page.items.map((r) => names.get(r.id))).toEqual(sees);
  });
});
