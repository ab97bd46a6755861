import { listQuerySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { listRequests } from '../../shared/domain/use-cases/read-requests.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, parseWith, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type ListRequestsDeps = UseCaseDeps<typeof listRequests> & AuthedRouteDeps;

/** GET /requests?status=&limit=&cursor= */
export function makeListRequestsHandler(deps: ListRequestsDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const query = parseWith(listQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await listRequests(deps, principal, query);
    return json(200, {
      items: page.items.map(toView),
      ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    });
  });
}

export const handler = routeOnAws(makeListRequestsHandler);
