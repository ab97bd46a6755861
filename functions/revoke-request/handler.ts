import { revokeBodySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { principalKey } from '../../shared/domain/access.ts';
import { revokeRequest } from '../../shared/domain/use-cases/revoke-request.ts';
import {
  type ApiHandler,
  type AuthedRouteDeps,
  authedRoute,
  json,
  jsonBody,
  parseWith,
  pathParam,
  routeOnAws,
} from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

/** POST /requests/{id}/revoke: an approver ends an issued session early. Body optional: {reason}. */
type RevokeRequestDeps = UseCaseDeps<typeof revokeRequest> & AuthedRouteDeps;

export function makeRevokeRequestHandler(deps: RevokeRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const body = event.body ? parseWith(revokeBodySchema, jsonBody(event), 'body') : {};
    const request = await revokeRequest(deps, {
      requestId: pathParam(event, 'id'),
      person: principal.person,
      actor: principalKey(principal),
      channel: 'api',
      ...(body.reason ? { reason: body.reason } : {}),
    });
    return json(200, toView(request));
  });
}

export const handler = routeOnAws(makeRevokeRequestHandler);
