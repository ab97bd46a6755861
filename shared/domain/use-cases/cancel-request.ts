import { isRequesterOf, principalKey } from '../access.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import { canTransition } from '../lifecycle.ts';
import type { AccessRequest, Principal } from '../types.ts';
import { type ResumeWorkflowDeps, resumeWorkflow } from './resume-workflow.ts';
import { updateRequest } from './update-request.ts';

/** POST /requests/{id}/cancel: the requester withdraws a request that is not issued yet. */
export function cancelRequest(
  deps: ResumeWorkflowDeps,
  principal: Principal,
  id: string,
): Promise<AccessRequest> {
  return updateRequest(deps, {
    id,
    // judged again after a lost race: the request may have moved on (e.g. it was approved)
    decide: ({ request }) => {
      if (!isRequesterOf(deps.config, principal, request)) {
        throw new ForbiddenError(`only the requester may cancel request ${id}`);
      }
      if (!canTransition(request.status, 'cancelled')) {
        throw new ConflictError(`request ${id} is ${request.status} and can no longer be cancelled`, {
          extra: { requestStatus: request.status },
        });
      }
      return {
        change: {
          to: 'cancelled',
          patch: { statusReason: 'cancelled by the requester' },
          event: {
            type: 'request_cancelled',
            actor: principalKey(principal),
            channel: 'api',
            at: deps.clock.now().toISOString(),
          },
        },
        done: async (next) => {
          await resumeWorkflow(deps, next, 'cancelled');
          return next;
        },
      };
    },
  });
}
