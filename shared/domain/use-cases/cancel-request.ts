import { isRequesterOf, principalKey } from '../access.ts';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError, ForbiddenError } from '../errors.ts';
import { canTransition } from '../lifecycle.ts';
import { applyChange } from '../transition.ts';
import type { AccessRequest, Principal } from '../types.ts';
import { resumeWorkflow } from './decide.ts';
import { requestOrThrow } from './read-requests.ts';

/** POST /requests/{id}/cancel: the requester withdraws a request that is not issued yet. */
export async function cancelRequest(deps: Deps, principal: Principal, id: string): Promise<AccessRequest> {
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    const request = await requestOrThrow(deps, id);
    if (!isRequesterOf(deps.config, principal, request)) {
      throw new ForbiddenError(`only the requester may cancel request ${id}`);
    }
    if (!canTransition(request.status, 'cancelled')) {
      throw new ConflictError(`request ${id} is ${request.status} and can no longer be cancelled`, {
        extra: { requestStatus: request.status },
      });
    }
    const { next, event } = applyChange(request, {
      to: 'cancelled',
      patch: { statusReason: 'cancelled by the requester' },
      event: {
        type: 'request_cancelled',
        actor: principalKey(principal),
        channel: 'api',
        at: deps.clock.now().toISOString(),
      },
    });
    try {
      await deps.store.commit(request, next, event);
      await resumeWorkflow(deps, next, 'cancelled');
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      // the request moved on meanwhile (e.g. it was approved): decide again on its new status
    }
  }
  throw new ConflictError(`request ${id} keeps changing; try again`);
}
