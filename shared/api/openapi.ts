/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
import { z } from 'zod';
import {
  auditEventSchema,
  createRequestSchema,
  credentialsSchema,
  previewSchema,
  problemSchema,
  requestListSchema,
  requestViewSchema,
  statusSchema,
} from './schemas.ts';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });

const problems = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: 'problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );

const ok = (description: string, ref: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const body = {
  required: true,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateRequest' } } },
};
const bearer = [{ oidc: [] }];

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'jitvend',
      version: '0.1.0',
      description: 'Just-in-time access approval and AWS credential vending for CI/CD pipelines.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        oidc: { type: 'http', scheme: 'bearer', bearerFormat: 'OIDC id token (JWT)' },
      },
      schemas: {
        CreateRequest: schema(createRequestSchema, 'input'),
        Request: schema(requestViewSchema),
        RequestList: schema(requestListSchema),
        Preview: schema(previewSchema),
        Credentials: schema(credentialsSchema),
        AuditEvent: schema(auditEventSchema),
        Problem: schema(problemSchema),
      },
    },
    paths: {
      '/requests': {
        post: {
          summary: 'Ask for access to a profile',
          security: bearer,
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: body,
          responses: {
            '201': ok('created', 'Request'),
            '200': ok('an earlier request with the same Idempotency-Key', 'Request'),
            ...problems(400, 401, 403, 404),
          },
        },
        get: {
          summary: "List requests (requesters: their own; approvers: their profiles'), newest first",
          security: bearer,
          parameters: [
            { name: 'status', in: 'query', required: false, schema: schema(statusSchema) },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 100 },
            },
            { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
          ],
          responses: { '200': ok('a page', 'RequestList'), ...problems(400, 401) },
        },
      },
      '/requests/preview': {
        post: {
          summary: 'The session policy and approval route a request would get; creates nothing',
          security: bearer,
          requestBody: body,
          responses: { '200': ok('preview', 'Preview'), ...problems(400, 401, 403, 404) },
        },
      },
      '/requests/{id}': {
        get: {
          summary: 'A request; waitSeconds holds the answer until the status changes',
          security: bearer,
          parameters: [
            idParam,
            {
              name: 'waitSeconds',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 0, maximum: 20 },
            },
          ],
          responses: { '200': ok('the request', 'Request'), ...problems(400, 401, 403, 404) },
        },
      },
      '/requests/{id}/cancel': {
        post: {
          summary: 'Cancel a request that is not issued yet (requester)',
          security: bearer,
          parameters: [idParam],
          responses: { '200': ok('cancelled', 'Request'), ...problems(401, 403, 404, 409) },
        },
      },
      '/requests/{id}/credentials': {
        post: {
          summary: 'The credentials, once, to the requester only',
          security: bearer,
          parameters: [idParam],
          responses: { '200': ok('credentials', 'Credentials'), ...problems(401, 403, 404, 409, 410) },
        },
      },
      '/requests/{id}/decision': {
        post: {
          summary: 'Approve or deny as a configured approver (token email claim names the person)',
          security: bearer,
          parameters: [idParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['decision'],
                  additionalProperties: false,
                  properties: {
                    decision: { enum: ['approve', 'deny'] },
                    reason: { type: 'string', maxLength: 500 },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: 'recorded: {outcome, message, request}' },
            ...problems(400, 401, 403, 404),
          },
        },
      },
      '/requests/{id}/revoke': {
        post: {
          summary: 'Revoke an issued session before it expires (approvers); body optional {reason}',
          security: bearer,
          parameters: [idParam],
          responses: { '200': ok('revoked', 'Request'), ...problems(401, 403, 404, 409) },
        },
      },
      '/requests/{id}/release': {
        post: {
          summary:
            'The requester ends its own issued request now: released; the session is denied on the role until it expires',
          security: bearer,
          parameters: [idParam],
          responses: { '200': ok('released', 'Request'), ...problems(401, 403, 404, 409) },
        },
      },
      '/requests/{id}/audit': {
        get: {
          summary: "The request's audit events, oldest first",
          security: bearer,
          parameters: [idParam],
          responses: {
            '200': {
              description: 'events',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } },
                    },
                  },
                },
              },
            },
            ...problems(401, 403, 404),
          },
        },
      },
      '/requests/{id}/usage': {
        get: {
          summary:
            'The AWS calls made with the session (CloudTrail, joined on SourceIdentity) against what was granted',
          security: bearer,
          parameters: [idParam],
          responses: {
            '200': {
              description: 'usage report: used, granted but unused, denied, and a tighter permission list',
            },
            ...problems(401, 403, 404, 409),
          },
        },
      },
      '/slack/interactions': {
        post: {
          summary:
            'Slack interactivity callback (form field payload), verified with the Slack signing secret',
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  properties: { payload: { type: 'string' } },
                  required: ['payload'],
                },
              },
            },
          },
          responses: {
            '200': { description: 'handled; the message is updated through response_url' },
            ...problems(400, 401),
          },
        },
      },
      '/approvals/{token}': {
        get: {
          summary: 'Email approval link: an HTML page showing the request; it never decides anything',
          parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'confirmation page', content: { 'text/html': {} } },
            '400': { description: 'not a valid link', content: { 'text/html': {} } },
            '410': { description: 'expired or already used', content: { 'text/html': {} } },
          },
        },
        post: {
          summary: 'Decide once with the signed, single-use link bound to one request and one approver',
          parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['decision'],
                  properties: {
                    decision: { enum: ['approve', 'deny'] },
                    reason: { type: 'string', maxLength: 500 },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: 'result page', content: { 'text/html': {} } },
            '400': { description: 'bad form or link', content: { 'text/html': {} } },
            '410': { description: 'expired or already used: nothing changed', content: { 'text/html': {} } },
          },
        },
      },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: 'ok' } } } },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
