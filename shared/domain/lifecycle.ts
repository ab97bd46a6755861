import type { RequestStatus } from './types.ts';

/**
 * The request lifecycle of SPEC.md as one table: for each status, the statuses it may move to.
 * `pending_approval → approved → issued → expired`, with the side exits.
 */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending_approval: ['approved', 'denied', 'timed_out', 'cancelled', 'failed'],
  approved: ['issued', 'cancelled', 'failed'],
  issued: ['expired', 'revoked', 'released'],
  expired: [],
  denied: [],
  timed_out: [],
  cancelled: [],
  revoked: [],
  released: [],
  failed: [],
};

export function isTerminal(status: RequestStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Whether the workflow still has work for a request (a restart resumes these). */
export function needsWorkflow(request: {
  status: RequestStatus;
  revocation?: { releasedAt?: string };
}): boolean {
  if (request.status === 'revoked' || request.status === 'released')
    return request.revocation !== undefined && request.revocation.releasedAt === undefined;
  return !isTerminal(request.status);
}
