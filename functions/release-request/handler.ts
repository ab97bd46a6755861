import { releaseRequest } from '../../shared/domain/use-cases/release-request.ts';
import { toView } from '../../shared/domain/view.ts';
import { authedRoute, json, pathParam } from '../http.ts';

/** POST /requests/{id}/release: the requester ends its own issued request now. No body. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, toView(await releaseRequest(runtime, principal, pathParam(event, 'id'))));
});
