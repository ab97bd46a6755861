/**
 * POST /requests/{id}/release: the requester ends its own issued request when its tests
 * are done. The session is stopped exactly as a revocation stops it (a deny on the role for
 * the session's `aws:SourceIdentity`, until the session's expiry; the workflow's Expire step
 * removes it then). The deny goes on first: a failure never claims a release that did not
 * happen. Approvers who were asked about the request are told it ended.
 */
import { isRequesterOf, principalKey } from '../access.ts';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError, ForbiddenError } from '../errors.ts';
import { sourceIdentityFor } from '../session.ts';
import { applyChange } from '../transition.ts';
import type { AccessRequest, Principal } from '../types.ts';
import { changeIf } from './change-if.ts';
import { requestOrThrow } from './read-requests.ts';

function notIssued(request: AccessRequest): ConflictError {
  return new ConflictError(
    `request ${request.id} is ${request.status}: only an issued request can be released`,
    { extra: { requestStatus: request.status } },
  );
}

export async function releaseRequest(deps: Deps, principal: Principal, id: string): Promise<AccessRequest> {
  let request = await requestOrThrow(deps, id);
  if (!isRequesterOf(deps.config, principal, request))
    throw new ForbiddenError(`only the requester of request ${id} may release it`);
  if (request.status !== 'issued' || !request.expiresAt) throw notIssued(request);
  const profile = deps.config.profiles[request.profile];
  if (!profile)
    throw new ConflictError(
      `profile ${request.profile} is no longer configured: request ${id} cannot be released (an approver can revoke it)`,
    );
  const sourceIdentity = sourceIdentityFor(request.id);
  await deps.revoker.revoke({ roleArn: profile.roleArn, sourceIdentity, expiresAt: request.expiresAt });
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    const at = deps.clock.now().toISOString();
    const { next, event } = applyChange(request, {
      to: 'released',
      patch: {
        revocation: { at, by: request.requester },
        statusReason: 'released by the requester',
      },
      event: {
        type: 'request_released',
        actor: principalKey(principal),
        channel: 'api',
        at,
        sessionPolicyHash: request.sessionPolicyHash,
        detail: { sourceIdentity, roleArn: profile.roleArn, deniedUntil: request.expiresAt },
      },
    });
    try {
      await deps.store.commit(request, next, event, { deleteCredentials: 'if_present' });
      return await tellApprovers(deps, next);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      request = await requestOrThrow(deps, id);
      if (request.status !== 'issued') {
        // it expired (or was revoked) meanwhile: the deny we added is moot once it expired
        if (request.status === 'expired')
          await deps.revoker.release({ roleArn: profile.roleArn, sourceIdentity });
        throw notIssued(request);
      }
    }
  }
  throw new ConflictError(`request ${id} keeps changing; try again`);
}

/**
 * The approvers who were asked (human route) learn that it ended, and the audit trail says
 * on which channels. A channel failing never undoes the release.
 */
async function tellApprovers(deps: Deps, request: AccessRequest): Promise<AccessRequest> {
  const route = request.approvalRoute;
  if (route.kind !== 'human' || !deps.notifier.requestEnded) return request;
  const people = route.approvers.flatMap((name) => deps.config.people[name] ?? []);
  let channels: Record<string, string>;
  try {
    channels = await deps.notifier.requestEnded(request, people);
  } catch (error) {
    channels = { all: `failed: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}` };
  }
  const noted = await changeIf(deps, request, ['released'], () => ({
    event: {
      type: 'approvers_notified',
      actor: 'jitvend',
      channel: 'system',
      at: deps.clock.now().toISOString(),
      detail: { about: 'released', approvers: people.map((p) => p.name), channels },
    },
  }));
  return noted ?? request;
}
