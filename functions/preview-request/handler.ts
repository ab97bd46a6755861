import { createRequestSchema } from '../../shared/api/schemas.ts';
import { routeView } from '../../shared/api/view.ts';
import { evaluateRequest } from '../../shared/domain/use-cases/create-request.ts';
import {
  type ApiHandler,
  type AuthedRouteDeps,
  authedRoute,
  json,
  jsonBody,
  parseWith,
  routeOnAws,
} from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type PreviewRequestDeps = UseCaseDeps<typeof evaluateRequest> & AuthedRouteDeps;

/** POST /requests/preview: what a request would get; creates nothing. */
export function makePreviewRequestHandler(deps: PreviewRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const body = parseWith(createRequestSchema, jsonBody(event), 'body');
    const evaluated = evaluateRequest(deps, principal, body);
    return json(200, {
      sessionPolicy: evaluated.sessionPolicy,
      durationSeconds: evaluated.durationSeconds,
      windowSeconds: evaluated.windowSeconds,
      approval: routeView(evaluated.route),
    });
  });
}

export const handler = routeOnAws(makePreviewRequestHandler);
