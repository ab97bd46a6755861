/**
 * POST /requests/{id}/release: the requester ends its own issued request when its tests
 * are done. The session is stopped exactly as a revocation stops it (a deny on the role for
 * the session's `aws:SourceIdentity`, until the session's expiry; the workflow's Expire step
 * removes it then). The deny goes on first: a failure never claims a release that did not
 * happen. Approvers who were asked about the request are told it ended.
 */
import { isRequesterOf, principalKey } from '../access.ts';
import type { DepsWith } from '../deps.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import type { RequestRepository } from '../ports.ts';
import { sourceIdentityFor } from '../session.ts';
import type { AccessRequest, Principal } from '../types.ts';
import { requestOrThrow } from './read-requests.ts';
import { denyThrough } from './revoke-request.ts';
import { changeIf, updateRequest } from './update-request.ts';

function notIssued(request: AccessRequest): ConflictError {
  return new ConflictError(
    `request ${request.id} is ${request.status}: only an issued request can be released`,
    { extra: { requestStatus: request.status } },
  );
}

export type ReleaseDeps = DepsWith<
  'config' | 'clock' | 'revoker' | 'notifier',
  Pick<RequestRepository, 'get' | 'commit'>
>;

export async function releaseRequest(
  deps: ReleaseDeps,
  principal: Principal,
  id: string,
): Promise<AccessRequest> {
  const request = await requestOrThrow(deps, id);
  if (!isRequesterOf(deps.config, principal, request))
    throw new ForbiddenError(`only the requester of request ${id} may release it`);
  if (request.status !== 'issued' || !request.expiresAt) throw notIssued(request);
  const profile = deps.config.profiles[request.profile];
  if (!profile)
    throw new ConflictError(
      `profile ${request.profile} is no longer configured: request ${id} cannot be released (an approver can revoke it)`,
    );
  const sourceIdentity = sourceIdentityFor(request.id);
  let deniedUntil = request.expiresAt;
  await deps.revoker.revoke({ roleArn: profile.roleArn, sourceIdentity, expiresAt: deniedUntil });
  return updateRequest(deps, {
    id,
    known: { request },
    decide: async ({ request }) => {
      if (request.status !== 'issued') {
        // it expired (or was revoked) meanwhile: the deny we added is moot once it expired
        if (request.status === 'expired')
          await deps.revoker.release({ roleArn: profile.roleArn, sourceIdentity });
        throw notIssued(request);
      }
      // renewed meanwhile: the deny lasts until the latest session's expiry
      deniedUntil = await denyThrough(deps, profile.roleArn, sourceIdentity, deniedUntil, request.expiresAt);
      const at = deps.clock.now().toISOString();
      return {
        change: {
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
            detail: { sourceIdentity, roleArn: profile.roleArn, deniedUntil },
          },
        },
        options: { deleteCredentials: 'if_present' },
        done: (next) => tellApprovers(deps, next),
      };
    },
  });
}

/**
 * The approvers who were asked (human route) learn that it ended, and the audit trail says
 * on which channels. A channel failing never undoes the release.
 */
async function tellApprovers(deps: ReleaseDeps, request: AccessRequest): Promise<AccessRequest> {
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
