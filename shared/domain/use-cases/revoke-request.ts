/**
 * POST /requests/{id}/revoke (and the Slack Revoke button): an approver stops an issued
 * session before it expires. The deny goes on the role first; only then is the request
 * marked revoked, so a failure never claims a revocation that did not happen.
 */
import { approverPeople } from '../approval.ts';
import type { DepsWith } from '../deps.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import { MAX_DECISION_REASON_CHARS } from '../limits.ts';
import type { RequestRepository } from '../ports.ts';
import { sourceIdentityFor } from '../session.ts';
import type { AccessRequest, Channel } from '../types.ts';
import { requestOrThrow } from './read-requests.ts';
import { updateRequest } from './update-request.ts';

export interface RevokeInput {
  requestId: string;
  /** the configured person revoking */
  person: string | undefined;
  /** who the channel says is acting (principal id, Slack user id) */
  actor: string;
  channel: Channel;
  reason?: string;
}

export type RevokeDeps = DepsWith<'config' | 'clock' | 'revoker', Pick<RequestRepository, 'get' | 'commit'>>;

export async function revokeRequest(deps: RevokeDeps, input: RevokeInput): Promise<AccessRequest> {
  const request = await requestOrThrow(deps, input.requestId);
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
  if (request.status !== 'issued' || !request.expiresAt) throw notRevocable(request);
  const person = input.person;
  const sourceIdentity = sourceIdentityFor(request.id);
  let deniedUntil = request.expiresAt;
  await deps.revoker.revoke({ roleArn: profile.roleArn, sourceIdentity, expiresAt: deniedUntil });
  const reason = input.reason?.slice(0, MAX_DECISION_REASON_CHARS);
  return updateRequest(deps, {
    id: request.id,
    known: { request },
    decide: async ({ request }) => {
      if (request.status !== 'issued') {
        // it expired (or was revoked by someone else) meanwhile: our deny is moot if it expired
        if (request.status === 'expired')
          await deps.revoker.release({ roleArn: profile.roleArn, sourceIdentity });
        throw notRevocable(request);
      }
      // renewed meanwhile: the deny lasts until the latest session's expiry
      deniedUntil = await denyThrough(deps, profile.roleArn, sourceIdentity, deniedUntil, request.expiresAt);
      const at = deps.clock.now().toISOString();
      return {
        change: {
          to: 'revoked',
          patch: {
            revocation: { at, by: person },
            statusReason: `revoked by ${person}${reason ? `: ${reason}` : ''}`,
          },
          event: {
            type: 'request_revoked',
            actor: person,
            channel: input.channel,
            at,
            sessionPolicyHash: request.sessionPolicyHash,
            detail: {
              sourceIdentity,
              roleArn: profile.roleArn,
              via: input.actor,
              ...(reason ? { reason } : {}),
            },
          },
        },
        options: { deleteCredentials: 'if_present' },
        done: (next) => next,
      };
    },
  });
}

/**
 * Extends a deny placed until `deniedUntil` to the request's `expiresAt` when a renewal moved
 * it later after the deny was placed (renew-request.ts). Returns how long the deny now lasts.
 */
export async function denyThrough(
  deps: Pick<RevokeDeps, 'revoker'>,
  roleArn: string,
  sourceIdentity: string,
  deniedUntil: string,
  expiresAt: string | undefined,
): Promise<string> {
  if (expiresAt === undefined || new Date(expiresAt).getTime() <= new Date(deniedUntil).getTime())
    return deniedUntil;
  await deps.revoker.revoke({ roleArn, sourceIdentity, expiresAt });
  return expiresAt;
}

function notRevocable(request: AccessRequest): ConflictError {
  return new ConflictError(
    `request ${request.id} is ${request.status}: only an issued session can be revoked`,
    {
      extra: { requestStatus: request.status },
    },
  );
}
