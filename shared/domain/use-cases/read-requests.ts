import {
  assertCanView,
  isRequesterOf,
  principalKey,
  profilesApprovedBy,
  withRequesterIssuer,
} from '../access.ts';
import type { DepsWith } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import type { Page, RequestRepository } from '../ports.ts';
import type { AccessRequest, AuditEvent, Principal, RequestStatus } from '../types.ts';

/**
 * The request, with its requester's issuer made explicit (a request stored before
 * issuer-scoped identity gets the issuer it is attributed to; the next write stores it).
 */
export async function requestOrThrow(
  deps: DepsWith<'config', Pick<RequestRepository, 'get'>>,
  id: string,
): Promise<AccessRequest> {
  const request = await deps.store.get(id);
  if (!request) throw new NotFoundError(`request ${id} does not exist`);
  return withRequesterIssuer(deps.config, request);
}

/** Statuses a pipeline waits through; it acts on every other one (credentials, or giving up). */
const WAITING_STATUSES: ReadonlySet<string> = new Set(['pending_approval', 'approved']);

/**
 * GET /requests/{id}: with waitSeconds, holds the answer while the request is still on its
 * way (pending_approval, approved) until its status changes or the time is up, so a
 * pipeline waits without polling fast. A request already issued, or ended, answers at once.
 */
export async function getRequest(
  deps: DepsWith<'config' | 'clock' | 'watcher', Pick<RequestRepository, 'get'>>,
  principal: Principal,
  id: string,
  waitSeconds = 0,
): Promise<AccessRequest> {
  let request = await requestOrThrow(deps, id);
  assertCanView(deps.config, principal, request);
  const initialStatus = request.status;
  const deadline = deps.clock.now().getTime() + waitSeconds * 1000;
  while (request.status === initialStatus && WAITING_STATUSES.has(request.status)) {
    const remaining = deadline - deps.clock.now().getTime();
    if (remaining <= 0) break;
    const changed = await deps.watcher.waitForChange(id, request.version, remaining);
    if (!changed) break;
    request = withRequesterIssuer(deps.config, changed);
  }
  return request;
}

/**
 * GET /requests: approvers see the requests of the profiles they approve; everyone else
 * sees their own (same issuer AND subject). Newest first. The cursor is bound to the caller.
 */
export async function listRequests(
  deps: DepsWith<'config', Pick<RequestRepository, 'list'>>,
  principal: Principal,
  query: { status?: RequestStatus; limit: number; cursor?: string },
): Promise<Page<AccessRequest>> {
  const approves = new Set(profilesApprovedBy(deps.config, principal));
  const caller = principalKey(principal);
  if (approves.size === 0) {
    const page = await deps.store.list({
      ...query,
      caller,
      requester: {
        issuer: principal.issuer,
        subject: principal.subject,
        includeLegacy: principal.issuer === deps.config.legacyRequesterIssuer,
      },
    });
    return { ...page, items: page.items.map((r) => withRequesterIssuer(deps.config, r)) };
  }
  const page = await deps.store.list({ ...query, caller });
  return {
    ...page,
    items: page.items
      .filter((r) => approves.has(r.profile) || isRequesterOf(deps.config, principal, r))
      .map((r) => withRequesterIssuer(deps.config, r)),
  };
}

/** GET /requests/{id}/audit: the request's events, oldest first. */
export async function requestAudit(
  deps: DepsWith<'config', Pick<RequestRepository, 'get' | 'listAudit'>>,
  principal: Principal,
  id: string,
): Promise<{ items: AuditEvent[]; head: string }> {
  const request = await requestOrThrow(deps, id);
  assertCanView(deps.config, principal, request);
  const items = await deps.store.listAudit(id);
  // the request's head as of this read: events written after it are left out, so the chain checks
  const upTo = items.filter((e) => e.seq <= request.auditCount);
  return { items: upTo, head: request.auditHead };
}
