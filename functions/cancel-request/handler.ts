import { toView } from '../../shared/api/view.ts';
import { cancelRequest } from '../../shared/domain/use-cases/cancel-request.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type CancelRequestDeps = UseCaseDeps<typeof cancelRequest> & AuthedRouteDeps;

/** POST /requests/{id}/cancel */
export function makeCancelRequestHandler(deps: CancelRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    return json(200, toView(await cancelRequest(deps, principal, pathParam(event, 'id'))));
  });
}

export const handler = routeOnAws(makeCancelRequestHandler);
