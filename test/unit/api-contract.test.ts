/**
 * The API contract in one place (shared/api): one status per refusal on every channel, the
 * shapes the server answers parse with the schemas the OpenAPI document is generated from,
 * and the document's references all resolve.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { RequestView as CliRequestView } from '../../cli/api-types.ts';
import { type ApiEvent, BodyTooLargeError, errorResponse, jsonBody } from '../../functions/http.ts';
import { openApiDocument } from '../../shared/api/openapi.ts';
import { refusalStatus, STATUS_BY_KIND } from '../../shared/api/problems.ts';
import {
  approvalFormSchema,
  type createRequestSchema,
  decisionBodySchema,
  requestViewSchema,
  usageReportSchema,
} from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import type { RefusalCode } from '../../shared/domain/approval.ts';
import {
  ConflictError,
  DecisionRefusedError,
  type DomainError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  UnauthenticatedError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../shared/domain/errors.ts';
import { MAX_DECISION_REASON_CHARS } from '../../shared/domain/limits.ts';
import type { AccessRequest, CreateRequestInput } from '../../shared/domain/types.ts';
import { type UsageReport, usageReport } from '../../shared/domain/usage/report.ts';
import type { CloudTrailEvent } from '../../shared/domain/usage/session-records.ts';
import { decisionResultPage } from '../../shared/web/approval-pages.ts';

const request: AccessRequest = {
  id: '3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/main',
  requesterIssuer: 'https://token.actions.githubusercontent.com',
  requesterClaims: { repository: 'acme/orders' },
  initiator: 'carol',
  status: 'expired',
  permissions: [
    { actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/o'] },
  ],
  sessionPolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:*:*:table/o' }],
  },
  sessionPolicyHash: 'h',
  durationSeconds: 900,
  reason: 'integration tests',
  context: { run: 'https://github.com/acme/orders/actions/runs/1' },
  approvals: [{ person: 'alice', decision: 'approve', channel: 'slack', at: '2026-03-01T12:00:01.000Z' }],
  approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
  createdAt: '2026-03-01T11:59:50.000Z',
  updatedAt: '2026-03-01T12:15:02.000Z',
  approvalDeadline: '2026-03-01T12:29:50.000Z',
  issuedAt: '2026-03-01T12:00:02.000Z',
  expiresAt: '2026-03-01T12:15:02.000Z',
  version: 4,
  auditHead: 'x',
  auditCount: 4,
};

const problemOf = (error: unknown) => {
  const result = errorResponse(error, undefined);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) as Record<string, unknown> };
};

describe('one status per kind of refusal', () => {
  it.each<[string, DomainError, number]>([
    ['ValidationError', new ValidationError('bad'), 400],
    ['UnauthenticatedError', new UnauthenticatedError('no token'), 401],
    ['ForbiddenError', new ForbiddenError('no'), 403],
    ['NotFoundError', new NotFoundError('none'), 404],
    ['ConflictError', new ConflictError('not now'), 409],
    ['GoneError', new GoneError('spent'), 410],
    ['BodyTooLargeError', new BodyTooLargeError('big'), 413],
    ['UnsupportedMediaTypeError', new UnsupportedMediaTypeError('text'), 415],
    ['UnprocessableError', new UnprocessableError('other body'), 422],
  ])('%s is a %i problem on the API', (_name, error, status) => {
    expect(problemOf(error)).toMatchObject({ status, body: { status, detail: error.message } });
    expect(STATUS_BY_KIND[error.kind]).toBe(status);
  });

  // SPEC.md: outsiders and people who may not decide get 403; a request no longer waiting 409;
  // past the approval deadline 410 (as for an expired link)
  it.each<[RefusalCode, number]>([
    ['not_pending', 409],
    ['too_late', 410],
    ['unknown_person', 403],
    ['not_approver', 403],
    ['initiator', 403],
    ['requester', 403],
    ['duplicate', 409],
    ['auto', 409],
  ])('a decision refused as %s answers %i on the API and on the email page alike', (code, status) => {
    const api = problemOf(new DecisionRefusedError(code, `refused: ${code}`, 'pending_approval'));
    expect(api).toMatchObject({ status, body: { code, requestStatus: 'pending_approval' } });
    const page = decisionResultPage(request, {
      outcome: 'refused',
      why: 'why',
      statusCode: refusalStatus(code),
    });
    expect(page.statusCode).toBe(status);
  });

  it('a JSON route sent another media type answers 415, as the email form does', () => {
    const event = { headers: { 'content-type': 'text/plain' }, body: '{}' } as unknown as ApiEvent;
    let thrown: unknown;
    try {
      jsonBody(event);
    } catch (error) {
      thrown = error;
    }
    expect(problemOf(thrown)).toMatchObject({ status: 415, body: { title: 'Unsupported Media Type' } });
  });
});

describe('the answers parse with the schemas the document is generated from', () => {
  it('the request view', () => {
    const view = toView(request);
    expect(requestViewSchema.parse(view)).toEqual(view);
    expect(view).not.toHaveProperty('version');
    expect(view).not.toHaveProperty('auditHead');
  });

  it('the usage report', () => {
    const events = (
      JSON.parse(
        readFileSync(new URL('../events/cloudtrail/session-data-events.json', import.meta.url), 'utf8'),
      ) as { Records: CloudTrailEvent[] }
    ).Records;
    const report = usageReport(request, { events, source: 'test', truncated: false });
    expect(usageReportSchema.parse(report)).toEqual(report);
  });

  it('decision bodies and the email form share the reason bound', () => {
    const long = 'x'.repeat(MAX_DECISION_REASON_CHARS + 1);
    expect(decisionBodySchema.safeParse({ decision: 'approve', reason: long }).success).toBe(false);
    expect(approvalFormSchema.safeParse({ decision: 'approve', reason: long }).success).toBe(false);
    expect(
      approvalFormSchema.safeParse({ decision: 'deny', reason: 'x'.repeat(MAX_DECISION_REASON_CHARS) })
        .success,
    ).toBe(true);
  });

  it('the types the domain and the CLI use are the schemas’ own', () => {
    expectTypeOf<UsageReport>().toExtend<z.infer<typeof usageReportSchema>>();
    expectTypeOf<z.infer<typeof createRequestSchema>>().toExtend<CreateRequestInput>();
    expectTypeOf<z.infer<typeof requestViewSchema>>().toExtend<CliRequestView>();
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument('http://127.0.0.1:8787') as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('every $ref names a component it defines', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).toHaveProperty([ref]);
  });

  it('lists the statuses a refused decision gets, from the same table', () => {
    const responses = Object.keys(doc.paths['/requests/{id}/decision']!.post!.responses);
    expect(responses).toEqual(expect.arrayContaining(['200', '403', '409', '410']));
  });

  it('describes the decision, revoke and usage shapes by name', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Decision',
        'DecisionResult',
        'Revoke',
        'ApprovalForm',
        'UsageReport',
        'Problem',
      ]),
    );
  });
});
