import { type AuditDraft, chainAuditEvent } from './audit.ts';
import { InvalidTransitionError } from './errors.ts';
import { canTransition } from './lifecycle.ts';
import type { AccessRequest, AuditEvent, RequestStatus } from './types.ts';

export interface Change {
  /** the new status; omit for an event that does not change the status */
  to?: RequestStatus;
  /** fields to set on the request with the change */
  patch?: Partial<Omit<AccessRequest, 'id' | 'status' | 'version' | 'auditHead' | 'auditCount'>>;
  event: AuditDraft;
}

/**
 * Computes the next state of a request and the audit event that records it, checking the
 * lifecycle table. Pure: the store writes both atomically, conditional on `prev.version`.
 */
export function applyChange(prev: AccessRequest, change: Change): { next: AccessRequest; event: AuditEvent } {
  if (change.to !== undefined && !canTransition(prev.status, change.to)) {
    throw new InvalidTransitionError(prev.id, prev.status, change.to);
  }
  const event = chainAuditEvent(prev.id, prev.auditCount + 1, prev.auditHead, {
    ...change.event,
    ...(change.to !== undefined ? { from: prev.status, to: change.to } : {}),
  });
  const next: AccessRequest = {
    ...prev,
    ...change.patch,
    status: change.to ?? prev.status,
    updatedAt: change.event.at,
    version: prev.version + 1,
    auditHead: event.hash,
    auditCount: prev.auditCount + 1,
  };
  return { next, event };
}
