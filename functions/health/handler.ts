import { type ApiHandler, json, publicRoute, type RouteDeps, routeOnAws } from '../http.ts';

/** GET /health: liveness. */
export function makeHealthHandler(deps: RouteDeps): ApiHandler {
  return publicRoute(deps, async () => json(200, { status: 'ok' }));
}

export const handler = routeOnAws(makeHealthHandler);
