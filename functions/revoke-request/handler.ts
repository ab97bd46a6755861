import { revokeBodySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { principalKey } from '../../shared/domain/access.ts';
import { revokeRequest } from '../../shared/domain/use-cases/revoke-request.ts';
import { authedRoute, json, jsonBody, parseWith, pathParam } from '../http.ts';

/** POST /requests/{id}/revoke: an approver ends an issued session early. Body optional: {reason}. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  const body = event.body ? parseWith(revokeBodySchema, jsonBody(event), 'body') : {};
  const request = await revokeRequest(runtime, {
    requestId: pathParam(event, 'id'),
    person: principal.person,
    actor: principalKey(principal),
    channel: 'api',
    ...(body.reason ? { reason: body.reason } : {}),
  });
  return json(200, toView(request));
});
