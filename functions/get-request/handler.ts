import { getQuerySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { getRequest } from '../../shared/domain/use-cases/read-requests.ts';
import {
  type ApiHandler,
  type AuthedRouteDeps,
  authedRoute,
  json,
  parseWith,
  pathParam,
  routeOnAws,
} from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type GetRequestDeps = UseCaseDeps<typeof getRequest> & AuthedRouteDeps;

/** GET /requests/{id}?waitSeconds=N */
export function makeGetRequestHandler(deps: GetRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const query = parseWith(getQuerySchema, event.queryStringParameters ?? {}, 'query');
    const request = await getRequest(deps, principal, pathParam(event, 'id'), query.waitSeconds ?? 0);
    return json(200, toView(request));
  });
}

export const handler = routeOnAws(makeGetRequestHandler);
