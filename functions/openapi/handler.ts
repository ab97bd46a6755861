import { openApiDocument } from '../../shared/api/openapi.ts';
import { json, publicRoute } from '../http.ts';

let document: unknown;

/** GET /openapi.json: generated from the zod schemas. */
export const handler = publicRoute(async ({ runtime }) => {
  document ??= openApiDocument(runtime.publicUrl);
  return json(200, document);
});
