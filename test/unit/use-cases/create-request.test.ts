/**
 * Creating a request on the fakes: what is refused before anything is written, idempotent
 * retries, and a workflow that does not start. (Human-route requests: how the auto route is
 * approved is the workflow's business and covered by the integration suites.)
 */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../../shared/api/schemas.ts';
import {
  ForbiddenError,
  NotFoundError,
  OutsideGuardrailsError,
  UnprocessableError,
  ValidationError,
} from '../../../shared/domain/errors.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { createRequest } from '../../../shared/domain/use-cases/create-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { GITHUB } from '../../helpers/requests.ts';

const PAYMENTS_PIPELINE: Principal = {
  issuer: GITHUB,
  subject: 'repo:acme/payments:ref:refs/heads/main',
  claims: { repository: 'acme/payments', ref: 'refs/heads/main' },
};
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:payments-it-orders';
const BODY: CreateRequestBody = {
  profile: 'payments-it',
  permissions: [{ actions: ['sqs:SendMessage'], resources: [QUEUE] }],
  reason: 'integration tests',
};

describe('createRequest', () => {
  it('records the request pending approval with its first audit event, then starts its workflow', async () => {
    const fakes = fakeDeps();
    const { request, created } = await createRequest(fakes.deps, PAYMENTS_PIPELINE, BODY);
    expect(created).toBe(true);
    expect(request).toMatchObject({
      profile: 'payments-it',
      requester: PAYMENTS_PIPELINE.subject,
      requesterIssuer: GITHUB,
      status: 'pending_approval',
      durationSeconds: 900,
      approvalRoute: { kind: 'human', minApprovals: 2 },
      version: 1,
    });
    expect(await fakes.requests.get(request.id)).toEqual(request);
    expect(await fakes.requests.listAudit(request.id)).toMatchObject([{ type: 'request_created', seq: 1 }]);
    expect(fakes.workflow.started).toEqual([request.id]);
  });

  it.each([
    {
      case: 'an unknown profile',
      body: { ...BODY, profile: 'nope' },
      principal: PAYMENTS_PIPELINE,
      error: NotFoundError,
    },
    {
      case: 'a caller who is no requester of the profile',
      body: BODY,
      principal: { ...PAYMENTS_PIPELINE, claims: { repository: 'acme/orders', ref: 'refs/heads/main' } },
      error: ForbiddenError,
    },
    {
      case: 'permissions outside the guardrails',
      body: { ...BODY, permissions: [{ actions: ['sqs:DeleteQueue'], resources: [QUEUE] }] },
      principal: PAYMENTS_PIPELINE,
      error: OutsideGuardrailsError,
    },
    {
      case: 'a duration below 900 s',
      body: { ...BODY, durationSeconds: 600 },
      principal: PAYMENTS_PIPELINE,
      error: ValidationError,
    },
    {
      case: "a duration above the profile's maximum",
      body: { ...BODY, durationSeconds: 3600 },
      principal: PAYMENTS_PIPELINE,
      error: ValidationError,
    },
  ])('refuses $case, writing nothing', async ({ body, principal, error }) => {
    const fakes = fakeDeps();
    await expect(createRequest(fakes.deps, principal, body)).rejects.toThrow(error);
    expect(fakes.requests.writes).toBe(0);
    expect(fakes.workflow.started).toEqual([]);
  });

  it('answers a retry with the same Idempotency-Key and body with the first request, starting nothing more', async () => {
    const fakes = fakeDeps();
    const first = await createRequest(fakes.deps, PAYMENTS_PIPELINE, BODY, 'key-1');
    const again = await createRequest(fakes.deps, PAYMENTS_PIPELINE, BODY, 'key-1');
    expect(again).toEqual({ request: first.request, created: false });
    expect(fakes.workflow.started).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another body (422)', async () => {
    const fakes = fakeDeps();
    await createRequest(fakes.deps, PAYMENTS_PIPELINE, BODY, 'key-1');
    await expect(
      createRequest(fakes.deps, PAYMENTS_PIPELINE, { ...BODY, reason: 'something else' }, 'key-1'),
    ).rejects.toThrow(UnprocessableError);
  });

  it('ends the request failed, saying why, when its workflow cannot start', async () => {
    const fakes = fakeDeps();
    fakes.workflow.start = async () => {
      throw new Error('Step Functions is down');
    };
    await expect(createRequest(fakes.deps, PAYMENTS_PIPELINE, BODY)).rejects.toThrow(
      'Step Functions is down',
    );
    const [stored] = (await fakes.requests.list({ limit: 10 })).items;
    expect(stored).toMatchObject({
      status: 'failed',
      statusReason: 'the approval workflow could not be started',
    });
  });
});
