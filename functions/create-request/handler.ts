import { MAX_IDEMPOTENCY_KEY_CHARS } from '../../shared/api/limits.ts';
import { createRequestSchema, idempotencyKeySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import { createRequest } from '../../shared/domain/use-cases/create-request.ts';
import { authedRoute, header, json, jsonBody, parseWith } from '../http.ts';

/** POST /requests */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  const body = parseWith(createRequestSchema, jsonBody(event), 'body');
  const key = header(event, 'idempotency-key');
  if (key !== undefined && !idempotencyKeySchema.safeParse(key).success) {
    throw new ValidationError(
      `Idempotency-Key: must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters`,
    );
  }
  const { request, created } = await createRequest(runtime, principal, body, key);
  return json(created ? 201 : 200, toView(request), { location: `/requests/${request.id}` });
});
