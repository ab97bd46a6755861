import { toView } from '../../shared/api/view.ts';
import { cancelRequest } from '../../shared/domain/use-cases/cancel-request.ts';
import { authedRoute, json, pathParam } from '../http.ts';

/** POST /requests/{id}/cancel */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, toView(await cancelRequest(runtime, principal, pathParam(event, 'id'))));
});
