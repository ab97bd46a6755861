import { deliverCredentials } from '../../shared/domain/use-cases/deliver-credentials.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type DeliverCredentialsDeps = UseCaseDeps<typeof deliverCredentials> & AuthedRouteDeps;

/** POST /requests/{id}/credentials: once, to the requester only. */
export function makeDeliverCredentialsHandler(deps: DeliverCredentialsDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    return json(200, await deliverCredentials(deps, principal, pathParam(event, 'id')));
  });
}

export const handler = routeOnAws(makeDeliverCredentialsHandler);
