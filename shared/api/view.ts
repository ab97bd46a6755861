import type { AccessRequest, ApprovalRoute } from '../domain/types.ts';
import { windowSecondsOf } from '../domain/window.ts';
import type { RequestView } from './schemas.ts';

export function routeView(route: ApprovalRoute): RequestView['approval'] {
  return route.kind === 'auto'
    ? { route: 'auto', rule: route.rule }
    : { route: 'human', approvers: route.approvers, minApprovals: route.minApprovals };
}

/** The request as the API shows it: everything but internals (versions, hash chain head). */
export function toView(r: AccessRequest): RequestView {
  return {
    id: r.id,
    profile: r.profile,
    requester: r.requester,
    ...(r.requesterIssuer !== undefined ? { requesterIssuer: r.requesterIssuer } : {}),
    ...(r.requesterPerson !== undefined ? { requesterPerson: r.requesterPerson } : {}),
    requesterClaims: r.requesterClaims,
    ...(r.initiator !== undefined ? { initiator: r.initiator } : {}),
    status: r.status,
    ...(r.statusReason !== undefined ? { statusReason: r.statusReason } : {}),
    permissions: r.permissions,
    sessionPolicy: r.sessionPolicy,
    sessionPolicyHash: r.sessionPolicyHash,
    durationSeconds: r.durationSeconds,
    windowSeconds: windowSecondsOf(r),
    reason: r.reason,
    ...(r.context !== undefined ? { context: r.context } : {}),
    approval: routeView(r.approvalRoute),
    approvals: r.approvals,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    approvalDeadline: r.approvalDeadline,
    ...(r.issuedAt !== undefined ? { issuedAt: r.issuedAt } : {}),
    ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}),
    ...(r.windowEndsAt !== undefined ? { windowEndsAt: r.windowEndsAt } : {}),
    ...(r.reuseOf !== undefined ? { reuseOf: r.reuseOf } : {}),
    credentialsDelivered: r.credentialsDeliveredAt !== undefined,
  };
}
