import { approverPeople } from './approval.ts';
import { ForbiddenError, NotFoundError } from './errors.ts';
import type { JitvendConfig, Profile } from './profile.ts';
import type { AccessRequest, Principal } from './types.ts';

export function profileOrThrow(config: JitvendConfig, name: string): Profile {
  const profile = Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
  if (!profile) throw new NotFoundError(`profile "${name}" does not exist`);
  return profile;
}

export function isRequesterOf(principal: Principal, request: AccessRequest): boolean {
  return principal.id === request.requester;
}

export function isApproverOf(config: JitvendConfig, principal: Principal, request: AccessRequest): boolean {
  if (principal.person === undefined) return false;
  const profile = config.profiles[request.profile];
  return profile !== undefined && approverPeople(config, profile).includes(principal.person);
}

/** The profiles a principal may approve (empty when the token is not a configured approver). */
export function profilesApprovedBy(config: JitvendConfig, principal: Principal): string[] {
  if (principal.person === undefined) return [];
  const person = principal.person;
  return Object.values(config.profiles)
    .filter((p) => approverPeople(config, p).includes(person))
    .map((p) => p.name);
}

/** Requester or approver may see a request; anyone else gets 403. */
export function assertCanView(config: JitvendConfig, principal: Principal, request: AccessRequest): void {
  if (isRequesterOf(principal, request) || isApproverOf(config, principal, request)) return;
  throw new ForbiddenError(`you are neither the requester nor an approver of request ${request.id}`);
}

/** The configured person with this Slack user id. */
export function personBySlackId(config: JitvendConfig, slackUserId: string): string | undefined {
  return Object.values(config.people).find((p) => p.slack === slackUserId)?.name;
}
