import { getQuerySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { getRequest } from '../../shared/domain/use-cases/read-requests.ts';
import { authedRoute, json, parseWith, pathParam } from '../http.ts';

/** GET /requests/{id}?waitSeconds=N */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  const query = parseWith(getQuerySchema, event.queryStringParameters ?? {}, 'query');
  const request = await getRequest(runtime, principal, pathParam(event, 'id'), query.waitSeconds ?? 0);
  return json(200, toView(request));
});
