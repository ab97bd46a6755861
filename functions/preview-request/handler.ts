import { createRequestSchema } from '../../shared/api/schemas.ts';
import { evaluateRequest } from '../../shared/domain/use-cases/create-request.ts';
import { routeView } from '../../shared/domain/view.ts';
import { authedRoute, json, jsonBody, parseWith } from '../http.ts';

/** POST /requests/preview: what a request would get; creates nothing. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  const body = parseWith(createRequestSchema, jsonBody(event), 'body');
  const evaluated = evaluateRequest(runtime, principal, body);
  return json(200, {
    sessionPolicy: evaluated.sessionPolicy,
    durationSeconds: evaluated.durationSeconds,
    approval: routeView(evaluated.route),
  });
});
