import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { openApiDocument } from '../../shared/api/openapi.ts';

describe('GET /openapi.json', () => {
  const doc = openApiDocument('http://127.0.0.1:8787') as {
    paths: Record<string, Record<string, { security?: unknown[] }>>;
    components: {
      schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>;
    };
  };

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('documents %s', (_, route) => {
    const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
    expect(operation).toBeDefined();
    expect(operation!.security !== undefined).toBe(route.auth === 'oidc');
  });

  it('derives the request body schema from the zod schema, strict like the API', () => {
    const create = doc.components.schemas.CreateRequest!;
    expect(Object.keys(create.properties!).sort()).toEqual([
      'context',
      'durationSeconds',
      'permissions',
      'profile',
      'reason',
      'windowSeconds',
    ]);
    expect(create.additionalProperties).toBe(false);
  });
});
