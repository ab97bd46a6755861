import { isRequesterOf, principalKey, withRequesterIssuer } from '../access.ts';
import type { DepsWith } from '../deps.ts';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../errors.ts';
import type { RequestRepository } from '../ports.ts';
import type { AccessRequest, IssuedCredentials, Principal } from '../types.ts';
import { updateRequest } from './update-request.ts';

function notDeliverable(request: AccessRequest): Error {
  if (request.status === 'issued' && request.credentialsDeliveredAt !== undefined) {
    return new GoneError(`the credentials of request ${request.id} were already delivered`, {
      extra: { requestStatus: request.status },
    });
  }
  if (
    request.status === 'expired' ||
    request.status === 'revoked' ||
    request.status === 'released' ||
    request.status === 'issued'
  ) {
    return new GoneError(
      `the credentials of request ${request.id} are gone: the request is ${request.status}`,
      {
        extra: { requestStatus: request.status },
      },
    );
  }
  return new ConflictError(`request ${request.id} is ${request.status}: no credentials have been issued`, {
    extra: { requestStatus: request.status },
  });
}

export type DeliverCredentialsDeps = DepsWith<
  'config' | 'clock' | 'vault',
  Pick<RequestRepository, 'getWithCredentials' | 'get' | 'commit'>
>;

/**
 * POST /requests/{id}/credentials: the requester gets the credentials exactly once.
 * The sealed copy is deleted in the same transaction that records the delivery; of two
 * racing fetches one wins, the other is judged again and gets 410.
 */
export function deliverCredentials(
  deps: DeliverCredentialsDeps,
  principal: Principal,
  id: string,
): Promise<IssuedCredentials> {
  return updateRequest(deps, {
    id,
    // one read for both: the request decides, the sealed credentials are what is delivered
    read: async () => {
      const { request, credentials } = await deps.store.getWithCredentials(id);
      if (!request) throw new NotFoundError(`request ${id} does not exist`);
      return { request: withRequesterIssuer(deps.config, request), credentials };
    },
    decide: async ({ request, credentials: sealed }) => {
      // the requester is issuer AND subject: the same sub from another issuer is someone else
      if (!isRequesterOf(deps.config, principal, request)) {
        throw new ForbiddenError(`only the requester may fetch the credentials of request ${id}`);
      }
      if (request.status !== 'issued' || request.credentialsDeliveredAt !== undefined || !sealed) {
        throw notDeliverable(request);
      }
      const now = deps.clock.now();
      if (new Date(sealed.expiration).getTime() <= now.getTime()) {
        throw new GoneError(`the credentials of request ${request.id} have expired`, {
          extra: { requestStatus: request.status },
        });
      }
      const at = now.toISOString();
      const credentials = await deps.vault.open(request.id, sealed);
      return {
        change: {
          patch: { credentialsDeliveredAt: at },
          event: {
            type: 'credentials_delivered',
            actor: principalKey(principal),
            channel: 'api',
            at,
            sessionPolicyHash: request.sessionPolicyHash,
            detail: { expiration: sealed.expiration },
          },
        },
        options: { deleteCredentials: 'required' },
        done: () => credentials,
      };
    },
  });
}
