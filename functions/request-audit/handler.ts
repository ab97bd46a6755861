import { requestAudit } from '../../shared/domain/use-cases/read-requests.ts';
import { authedRoute, json, pathParam } from '../http.ts';

/** GET /requests/{id}/audit: oldest first. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, await requestAudit(runtime, principal, pathParam(event, 'id')));
});
