import { json, publicRoute } from '../http.ts';

/** GET /health: liveness. */
export const handler = publicRoute(async () => json(200, { status: 'ok' }));
