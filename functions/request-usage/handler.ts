import { requestUsage } from '../../shared/domain/use-cases/request-usage.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type RequestUsageDeps = UseCaseDeps<typeof requestUsage> & AuthedRouteDeps;

/** GET /requests/{id}/usage: the session's AWS calls from CloudTrail, against what was granted. */
export function makeRequestUsageHandler(deps: RequestUsageDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    return json(200, await requestUsage(deps, principal, pathParam(event, 'id')));
  });
}

export const handler = routeOnAws(makeRequestUsageHandler);
