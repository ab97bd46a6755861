import { openApiDocument } from '../../shared/api/openapi.ts';
import { type ApiHandler, json, publicRoute, type RouteDeps, routeOnAws } from '../http.ts';

/** GET /openapi.json: generated from the zod schemas, once per handler. */
export function makeOpenApiHandler(deps: RouteDeps & { publicUrl: string }): ApiHandler {
  let document: unknown;
  return publicRoute(deps, async () => {
    document ??= openApiDocument(deps.publicUrl);
    return json(200, document);
  });
}

export const handler = routeOnAws(makeOpenApiHandler);
