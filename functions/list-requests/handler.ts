import { listQuerySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { listRequests } from '../../shared/domain/use-cases/read-requests.ts';
import { authedRoute, json, parseWith } from '../http.ts';

/** GET /requests?status=&limit=&cursor= */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  const query = parseWith(listQuerySchema, event.queryStringParameters ?? {}, 'query');
  const page = await listRequests(runtime, principal, query);
  return json(200, {
    items: page.items.map(toView),
    ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
  });
});
