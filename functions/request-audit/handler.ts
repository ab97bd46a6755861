import { requestAudit } from '../../shared/domain/use-cases/read-requests.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type RequestAuditDeps = UseCaseDeps<typeof requestAudit> & AuthedRouteDeps;

/** GET /requests/{id}/audit: oldest first. */
export function makeRequestAuditHandler(deps: RequestAuditDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    return json(200, await requestAudit(deps, principal, pathParam(event, 'id')));
  });
}

export const handler = routeOnAws(makeRequestAuditHandler);
