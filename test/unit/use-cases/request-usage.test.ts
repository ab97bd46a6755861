/** GET /requests/{id}/usage as a use case: only for issued requests, asked for the session's window. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { requestUsage } from '../../../shared/domain/use-cases/request-usage.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, personPrincipal, REQUESTER, requestIn } from '../../helpers/requests.ts';

describe('requestUsage', () => {
  it.each([
    { status: 'issued', principal: REQUESTER, error: undefined },
    { status: 'expired', principal: personPrincipal('alice'), error: undefined },
    { status: 'pending_approval', principal: REQUESTER, error: ConflictError },
    { status: 'issued', principal: personPrincipal('carol'), error: ForbiddenError },
  ] as const)(
    '$status request, asked by $principal.subject: $error',
    async ({ status, principal, error }) => {
      const fakes = fakeDeps({ now: at(5000) });
      const stored = requestIn(status);
      fakes.requests.seed(stored.request, stored.events);
      const outcome = requestUsage(fakes.deps, principal as Principal, stored.request.id);
      if (error) {
        await expect(outcome).rejects.toThrow(error);
        expect(fakes.usage.asked).toEqual([]);
        return;
      }
      expect(await outcome).toMatchObject({
        requestId: stored.request.id,
        sourceIdentity: `jitvend-${stored.request.id}`,
      });
      expect(fakes.usage.asked).toEqual([
        {
          sourceIdentity: `jitvend-${stored.request.id}`,
          window: {
            from: new Date(Date.parse(at(120)) - 5 * 60_000),
            to: new Date(Date.parse(at(1020)) + 5 * 60_000),
            assumeRole: {
              roleArn: 'arn:aws:iam::123456789012:role/jitvend-orders-it',
              from: new Date(Date.parse(at(120)) - 5 * 60_000),
              to: new Date(Date.parse(at(120)) + 5 * 60_000),
            },
          },
        },
      ]);
    },
  );
});
