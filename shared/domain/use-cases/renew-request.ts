/**
 * POST /requests/{id}/renew: the requester gets a new session of an issued request inside its
 * approval window (SPEC.md "Approval window"). The guard, in SPEC.md's order: 403 for anyone
 * but the requester (issuer AND subject), then window.ts `renewRefusal`: 410 once the window
 * has ended or the request was released or revoked, 409 before the first delivery, 429 within
 * a minute of the last delivery or renewal. The change: a new AssumeRole with the same session
 * policy, source identity, session name and tags as the first session, lasting the request's
 * duration but never past the window's end (window.ts `renewalSeconds`); the request's
 * `expiresAt` becomes the new session's expiry in the same conditional write as the audit
 * event `credentials_renewed`, so a revocation or release that follows denies it until then.
 *
 * The session is minted before the write: a renewal that loses its race (the request was
 * revoked, released or renewed meanwhile) is refused and its credentials, never handed to
 * anyone, are dropped. A revocation that read the earlier expiry and commits after this write
 * extends its deny to the new one (revoke-request.ts, release-request.ts). Credentials are
 * returned, never stored.
 */
import { isRequesterOf, principalKey } from '../access.ts';
import type { DepsWith } from '../deps.ts';
import { ConflictError, ForbiddenError, GoneError, IssueError, TooManyRequestsError } from '../errors.ts';
import type { RequestRepository } from '../ports.ts';
import { assumeRoleInputFor, sourceIdentityFor } from '../session.ts';
import type { AccessRequest, IssuedCredentials, Principal } from '../types.ts';
import { type RenewRefusal, renewalSeconds, renewRefusal } from '../window.ts';
import { requestOrThrow } from './read-requests.ts';
import { updateRequest } from './update-request.ts';

export type RenewDeps = DepsWith<'config' | 'clock' | 'issuer', Pick<RequestRepository, 'get' | 'commit'>>;

function refusalError(refusal: RenewRefusal, request: AccessRequest): Error {
  const extra = { requestStatus: request.status };
  switch (refusal.status) {
    case 410:
      return new GoneError(refusal.reason, { extra });
    case 409:
      return new ConflictError(refusal.reason, { extra });
    case 429:
      return new TooManyRequestsError(refusal.reason, refusal.retryAfterSeconds, { extra });
  }
}

/** The later of two ISO timestamps (`expiresAt` only ever moves forward). */
function later(a: string | undefined, b: string): string {
  return a !== undefined && new Date(a).getTime() > new Date(b).getTime() ? a : b;
}

export function renewRequest(deps: RenewDeps, principal: Principal, id: string): Promise<IssuedCredentials> {
  // minted once, on the first attempt the guard lets through; a retry after a lost race
  // judges the request again and hands out (or drops) the same session
  let minted: { credentials: IssuedCredentials; durationSeconds: number } | undefined;
  return updateRequest(deps, {
    id,
    read: async () => ({ request: await requestOrThrow(deps, id) }),
    decide: async ({ request }) => {
      if (!isRequesterOf(deps.config, principal, request)) {
        throw new ForbiddenError(`only the requester of request ${id} may renew it`);
      }
      const now = deps.clock.now();
      const refusal = renewRefusal(request, now);
      if (refusal) throw refusalError(refusal, request);
      const profile = deps.config.profiles[request.profile];
      if (!profile) {
        throw new ConflictError(
          `profile ${request.profile} is no longer configured: request ${id} cannot be renewed`,
          { extra: { requestStatus: request.status } },
        );
      }
      const sourceIdentity = sourceIdentityFor(request.id);
      if (!minted) {
        const durationSeconds = renewalSeconds(request, now);
        minted = {
          credentials: await assumeRole(deps, request, profile.roleArn, durationSeconds),
          durationSeconds,
        };
      }
      const { credentials, durationSeconds } = minted;
      const at = now.toISOString();
      const renewals = (request.renewals ?? 0) + 1;
      return {
        change: {
          patch: {
            expiresAt: later(request.expiresAt, credentials.expiration),
            lastRenewedAt: at,
            renewals,
          },
          event: {
            type: 'credentials_renewed',
            actor: principalKey(principal),
            channel: 'api',
            at,
            sessionPolicyHash: request.sessionPolicyHash,
            detail: {
              renewal: renewals,
              sourceIdentity,
              durationSeconds,
              expiration: credentials.expiration,
              ...(request.windowEndsAt !== undefined ? { windowEndsAt: request.windowEndsAt } : {}),
            },
          },
        },
        done: () => credentials,
      };
    },
  });
}

/** The first session's AssumeRole again (workflow-steps.ts `issue`), for `durationSeconds`. */
async function assumeRole(
  deps: RenewDeps,
  request: AccessRequest,
  roleArn: string,
  durationSeconds: number,
): Promise<IssuedCredentials> {
  try {
    return await deps.issuer.assumeRole(assumeRoleInputFor(request, roleArn, durationSeconds));
  } catch (error) {
    // STS throttled: the API answers 503 with Retry-After (functions/http.ts), as for any throttling
    if (error instanceof IssueError && error.retryable && error.cause !== undefined) throw error.cause;
    throw error;
  }
}
