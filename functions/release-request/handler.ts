import { toView } from '../../shared/api/view.ts';
import { releaseRequest } from '../../shared/domain/use-cases/release-request.ts';
import { type ApiHandler, type AuthedRouteDeps, authedRoute, json, pathParam, routeOnAws } from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type ReleaseRequestDeps = UseCaseDeps<typeof releaseRequest> & AuthedRouteDeps;

/** POST /requests/{id}/release: the requester ends its own issued request now. No body. */
export function makeReleaseRequestHandler(deps: ReleaseRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) =>
    json(200, toView(await releaseRequest(deps, principal, pathParam(event, 'id')))),
  );
}

/**
 * On AWS this function alone (with AwaitApproval) posts to Slack: its notifier carries the
 * Slack channel, to tell the approvers the request was released.
 */
export const handler = routeOnAws(makeReleaseRequestHandler, {
  channels: () => import('../approval-channels.ts').then((m) => m.awsSlackChannel),
});
