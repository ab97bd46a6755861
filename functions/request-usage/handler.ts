import { requestUsage } from '../../shared/domain/use-cases/request-usage.ts';
import { authedRoute, json, pathParam } from '../http.ts';

/** GET /requests/{id}/usage: the session's AWS calls from CloudTrail, against what was granted. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, await requestUsage(runtime, principal, pathParam(event, 'id')));
});
