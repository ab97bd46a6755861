import { renewRequest } from '../../shared/domain/use-cases/renew-request.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type RenewRequestDeps = UseCaseDeps<typeof renewRequest> & AuthedRouteDeps;

/**
 * POST /requests/{id}/renew: a new session inside the request's approval window, to the
 * requester only. No body. The credentials are answered directly, never stored.
 */
export function makeRenewRequestHandler(deps: RenewRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) =>
    json(200, await renewRequest(deps, principal, pathParam(event, 'id'))),
  );
}

/** On AWS this function runs as the issuing role: target roles trust that role alone (infra/constructs/jitvend.ts). */
export const handler = routeOnAws(makeRenewRequestHandler);
