import { deliverCredentials } from '../../shared/domain/use-cases/deliver-credentials.ts';
import { authedRoute, json, pathParam } from '../http.ts';

/** POST /requests/{id}/credentials: once, to the requester only. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, await deliverCredentials(runtime, principal, pathParam(event, 'id')));
});
