/**
 * The end of a revocation (or a release): the deny that stops a session stays on the role
 * until the session would have expired plus the grace (revocation.ts `denyUntil`), then it is
 * removed and the request records `revocation_released`. Called by the workflow's Expire
 * step, which waits until `nextAt` when it is called too early.
 */
import type { DepsWith } from '../deps.ts';
import type { RequestRepository } from '../ports.ts';
import { denyUntil } from '../revocation.ts';
import { sourceIdentityFor } from '../session.ts';
import type { AccessRequest } from '../types.ts';
import { changeIf } from './update-request.ts';

export type ReleaseRevocationDeps = DepsWith<
  'config' | 'clock' | 'revoker',
  Pick<RequestRepository, 'get' | 'commit'>
>;

/** A revocation (or release) deny placed on the role for this request and not yet removed. */
export function pendingDeny(request: AccessRequest): boolean {
  return request.revocation !== undefined && request.revocation.releasedAt === undefined;
}

export async function releaseRevocation(
  deps: ReleaseRevocationDeps,
  request: AccessRequest,
): Promise<{ nextAt?: string }> {
  if (!pendingDeny(request) || !request.expiresAt) return {};
  // the deny stays until the session's expiry plus the grace (the deny's own bound)
  const releaseAt = denyUntil(request.expiresAt);
  if (deps.clock.now().getTime() < new Date(releaseAt).getTime()) return { nextAt: releaseAt };
  const profile = deps.config.profiles[request.profile];
  if (profile)
    await deps.revoker.release({
      roleArn: profile.roleArn,
      sourceIdentity: sourceIdentityFor(request.id),
    });
  const at = () => deps.clock.now().toISOString();
  await changeIf(deps, request, [request.status], (current) => ({
    patch: { revocation: { ...current.revocation!, releasedAt: at() } },
    event: { type: 'revocation_released', actor: 'jitvend', channel: 'workflow', at: at() },
  }));
  return {};
}
