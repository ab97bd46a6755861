import { approverPeople } from './approval.ts';
import { ForbiddenError, NotFoundError } from './errors.ts';
import type { JitvendConfig, Profile } from './profile.ts';
import type { AccessRequest, Principal } from './types.ts';

export function profileOrThrow(config: JitvendConfig, name: string): Profile {
  const profile = Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
  if (!profile) throw new NotFoundError(`profile "${name}" does not exist`);
  return profile;
}

/** An identity: a token issuer and a subject of that issuer. */
export interface PrincipalId {
  issuer: string;
  subject: string;
}

/**
 * The canonical text of a principal, `<issuer>#<subject>`: used for audit actors, idempotency
 * scopes and cursor bindings. Unambiguous because a configured issuer never contains `#`
 * (shared/config.ts refuses it, as OIDC does: an issuer URL has no fragment).
 */
export function principalKey(principal: PrincipalId): string {
  return `${principal.issuer}#${principal.subject}`;
}

export function samePrincipal(a: PrincipalId, b: PrincipalId): boolean {
  return a.issuer === b.issuer && a.subject === b.subject;
}

/**
 * Who created the request. Requests stored before issuer-scoped identity carry no issuer:
 * they are attributed to `config.legacyRequesterIssuer` (undefined when none is configured:
 * then nobody is their requester, which fails closed).
 */
export function requesterOf(
  config: Pick<JitvendConfig, 'legacyRequesterIssuer'>,
  request: Pick<AccessRequest, 'requester' | 'requesterIssuer'>,
): PrincipalId | undefined {
  const issuer = request.requesterIssuer ?? config.legacyRequesterIssuer;
  return issuer === undefined ? undefined : { issuer, subject: request.requester };
}

/**
 * The request with its owner made explicit: a legacy request (no `requesterIssuer`) gets the
 * issuer it is attributed to, so views show it and the next write stores it.
 */
export function withRequesterIssuer(config: JitvendConfig, request: AccessRequest): AccessRequest {
  if (request.requesterIssuer !== undefined || config.legacyRequesterIssuer === undefined) return request;
  return { ...request, requesterIssuer: config.legacyRequesterIssuer };
}

/** Is this principal (issuer AND subject) the one that created the request? */
export function isRequesterOf(
  config: Pick<JitvendConfig, 'legacyRequesterIssuer'>,
  principal: PrincipalId,
  request: Pick<AccessRequest, 'requester' | 'requesterIssuer'>,
): boolean {
  const owner = requesterOf(config, request);
  return owner !== undefined && samePrincipal(owner, principal);
}

export function isApproverOf(config: JitvendConfig, principal: Principal, request: AccessRequest): boolean {
  if (principal.person === undefined) return false;
  const profile = Object.hasOwn(config.profiles, request.profile)
    ? config.profiles[request.profile]
    : undefined;
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
  if (isRequesterOf(config, principal, request) || isApproverOf(config, principal, request)) return;
  throw new ForbiddenError(`you are neither the requester nor an approver of request ${request.id}`);
}

/** The configured person with this Slack user id. */
export function personBySlackId(config: JitvendConfig, slackUserId: string): string | undefined {
  return Object.values(config.people).find((p) => p.slack !== undefined && p.slack === slackUserId)?.name;
}
