/**
 * POST /requests/{id}/revoke (and the Slack Revoke button): an approver stops an issued
 * session before it expires. The deny goes on the role first; only then is the request
 * marked revoked, so a failure never claims a revocation that did not happen.
 */
import { approverPeople } from '../approval.ts';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError, ForbiddenError } from '../errors.ts';
import { sourceIdentityFor } from '../session.ts';
import { applyChange } from '../transition.ts';
import type { AccessRequest, Channel } from '../types.ts';
import { requestOrThrow } from './read-requests.ts';

export interface RevokeInput {
  requestId: string;
  /** the configured person revoking */
  person: string | undefined;
  /** who the channel says is acting (principal id, Slack user id) */
  actor: string;
  channel: Channel;
  reason?: string;
}

export async function revokeRequest(deps: Deps, input: RevokeInput): Promise<AccessRequest> {
  let request = await requestOrThrow(deps, input.requestId);
  const profile = deps.config.profiles[request.profile];
  if (
    input.person === undefined ||
    !profile ||
    !approverPeople(deps.config, profile).includes(input.person)
  ) {
    throw new ForbiddenError(
      `only an approver of profile ${request.profile} may revoke request ${request.id}`,
    );
  }
  if (request.status !== 'issued' || !request.expiresAt) {
    throw new ConflictError(
      `request ${request.id} is ${request.status}: only an issued session can be revoked`,
      {
        extra: { requestStatus: request.status },
      },
    );
  }
  const sourceIdentity = sourceIdentityFor(request.id);
  await deps.revoker.revoke({ roleArn: profile.roleArn, sourceIdentity, expiresAt: request.expiresAt });
  const reason = input.reason?.slice(0, 500);
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    if (attempt > 0) await pauseAfterConflict(attempt);
    const at = deps.clock.now().toISOString();
    const { next, event } = applyChange(request, {
      to: 'revoked',
      patch: {
        revocation: { at, by: input.person },
        statusReason: `revoked by ${input.person}${reason ? `: ${reason}` : ''}`,
      },
      event: {
        type: 'request_revoked',
        actor: input.person,
        channel: input.channel,
        at,
        sessionPolicyHash: request.sessionPolicyHash,
        detail: { sourceIdentity, roleArn: profile.roleArn, via: input.actor, ...(reason ? { reason } : {}) },
      },
    });
    try {
      await deps.store.commit(request, next, event, { deleteCredentials: 'if_present' });
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      request = await requestOrThrow(deps, input.requestId);
      if (request.status !== 'issued') {
        // it expired (or was revoked by someone else) meanwhile: our deny is moot if it expired
        if (request.status === 'expired')
          await deps.revoker.release({ roleArn: profile.roleArn, sourceIdentity });
        throw new ConflictError(
          `request ${request.id} is ${request.status}: only an issued session can be revoked`,
          {
            extra: { requestStatus: request.status },
          },
        );
      }
    }
  }
  throw new ConflictError(`request ${input.requestId} keeps changing; try again`);
}
