import { MAX_IDEMPOTENCY_KEY_CHARS } from '../../shared/api/limits.ts';
import { createRequestSchema, idempotencyKeySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import { createRequest } from '../../shared/domain/use-cases/create-request.ts';
import {
  type ApiHandler,
  type AuthedRouteDeps,
  authedRoute,
  header,
  json,
  jsonBody,
  parseWith,
  routeOnAws,
} from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

type CreateRequestDeps = UseCaseDeps<typeof createRequest> & AuthedRouteDeps;

/** POST /requests */
export function makeCreateRequestHandler(deps: CreateRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const body = parseWith(createRequestSchema, jsonBody(event), 'body');
    const key = header(event, 'idempotency-key');
    if (key !== undefined && !idempotencyKeySchema.safeParse(key).success) {
      throw new ValidationError(
        `Idempotency-Key: must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters`,
      );
    }
    const { request, created } = await createRequest(deps, principal, body, key);
    return json(created ? 201 : 200, toView(request), { location: `/requests/${request.id}` });
  });
}

/**
 * Its notifier carries the Slack channel: a request approved by reuse at create tells the
 * approvers of the request it reuses how many jobs their decision now covers.
 */
export const handler = routeOnAws(makeCreateRequestHandler, {
  channels: () => import('../approval-channels.ts').then((m) => m.awsSlackChannel),
});
