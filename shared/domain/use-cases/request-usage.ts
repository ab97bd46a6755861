import { assertCanView } from '../access.ts';
import type { DepsWith } from '../deps.ts';
import { ConflictError } from '../errors.ts';
import type { RequestRepository } from '../ports.ts';
import { sourceIdentityFor } from '../session.ts';
import type { Principal } from '../types.ts';
import { type UsageReport, usageReport } from '../usage/report.ts';
import { usageWindow } from '../usage/session-records.ts';
import { requestOrThrow } from './read-requests.ts';

/**
 * GET /requests/{id}/usage: the AWS calls made with the request's session (from CloudTrail,
 * joined exactly on its source identity), against what was granted. Requester or approver;
 * 409 when the request was never issued (there is no session to look for).
 */
export async function requestUsage(
  deps: DepsWith<'config' | 'clock' | 'usage', Pick<RequestRepository, 'get'>>,
  principal: Principal,
  id: string,
): Promise<UsageReport> {
  const request = await requestOrThrow(deps, id);
  assertCanView(deps.config, principal, request);
  if (!request.issuedAt) {
    throw new ConflictError(
      `request ${id} is ${request.status}: it was never issued, so no session made calls`,
      {
        extra: { requestStatus: request.status },
      },
    );
  }
  const roleArn = deps.config.profiles[request.profile]?.roleArn;
  const window = usageWindow(request, roleArn, deps.clock.now());
  const found = await deps.usage.eventsFor(sourceIdentityFor(request.id), window);
  return usageReport(request, found, window);
}
