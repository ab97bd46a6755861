import { isRequesterOf, principalKey, withRequesterIssuer } from '../access.ts';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError, ForbiddenError, GoneError, NotFoundError } from '../errors.ts';
import type { SealedCredentials } from '../ports.ts';
import { applyChange } from '../transition.ts';
import type { AccessRequest, IssuedCredentials, Principal } from '../types.ts';

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

/**
 * POST /requests/{id}/credentials: the requester gets the credentials exactly once.
 * The sealed copy is deleted in the same transaction that records the delivery.
 */
export async function deliverCredentials(
  deps: Deps,
  principal: Principal,
  id: string,
): Promise<IssuedCredentials> {
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    // one read for both: the request decides, the sealed credentials are what is delivered
    const { request: stored, credentials } = await deps.store.getWithCredentials(id);
    if (!stored) throw new NotFoundError(`request ${id} does not exist`);
    const request = withRequesterIssuer(deps.config, stored);
    // the requester is issuer AND subject: the same sub from another issuer is someone else
    if (!isRequesterOf(deps.config, principal, request)) {
      throw new ForbiddenError(`only the requester may fetch the credentials of request ${id}`);
    }
    const delivered = await tryDeliver(deps, principal, request, credentials);
    if (delivered) return delivered;
    // lost a race: decide again on the request as it is now (another fetch wins with 410)
  }
  throw new ConflictError(`request ${id} keeps changing; try again`);
}

async function tryDeliver(
  deps: Deps,
  principal: Principal,
  request: AccessRequest,
  sealed: SealedCredentials | undefined,
): Promise<IssuedCredentials | undefined> {
  if (request.status !== 'issued' || request.credentialsDeliveredAt !== undefined)
    throw notDeliverable(request);
  if (!sealed) throw notDeliverable(request);
  const now = deps.clock.now();
  if (new Date(sealed.expiration).getTime() <= now.getTime()) {
    throw new GoneError(`the credentials of request ${request.id} have expired`, {
      extra: { requestStatus: request.status },
    });
  }
  const at = now.toISOString();
  const { next, event } = applyChange(request, {
    patch: { credentialsDeliveredAt: at },
    event: {
      type: 'credentials_delivered',
      actor: principalKey(principal),
      channel: 'api',
      at,
      sessionPolicyHash: request.sessionPolicyHash,
      detail: { expiration: sealed.expiration },
    },
  });
  const credentials = await deps.vault.open(request.id, sealed);
  try {
    await deps.store.commit(request, next, event, { deleteCredentials: 'required' });
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return undefined;
    throw error;
  }
  return credentials;
}
