/**
 * createRequest: an auto-approve rule approves in the create transaction (one write, both
 * events), and the workflow's Evaluate then has nothing to read; any other request is stored
 * pending. The answer shows the request as created either way.
 */
import { describe, expect, it } from 'vitest';
import type { CreateRequestBody } from '../../../shared/api/schemas.ts';
import { verifyAuditChain } from '../../../shared/domain/audit.ts';
import type { Principal } from '../../../shared/domain/types.ts';
import { createRequest } from '../../../shared/domain/use-cases/create-request.ts';
import { workflowSteps } from '../../../shared/domain/use-cases/workflow-steps.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { REQUESTER } from '../../helpers/requests.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const body = (action: string): CreateRequestBody =>
  ({
    profile: 'orders-it',
    permissions: [{ actions: [action], resources: [TABLE] }],
    durationSeconds: 900,
    reason: 'integration tests',
  }) as CreateRequestBody;
const BRANCH: Principal = {
  ...REQUESTER,
  subject: 'repo:acme/orders:ref:refs/heads/feature',
  claims: { repository: 'acme/orders', ref: 'refs/heads/feature' },
};

describe('createRequest', () => {
  it.each([
    {
      case: 'read-only from main: approved by the rule in the same write',
      principal: REQUESTER,
      action: 'dynamodb:GetItem',
      stored: 'approved',
      events: [
        { type: 'request_created', to: 'pending_approval' },
        {
          type: 'request_approved',
          from: 'pending_approval',
          to: 'approved',
          actor: 'rule:0',
          channel: 'rule',
        },
      ],
    },
    {
      case: 'a write from a branch: pending, for people to decide',
      principal: BRANCH,
      action: 'dynamodb:PutItem',
      stored: 'pending_approval',
      events: [{ type: 'request_created', to: 'pending_approval' }],
    },
  ])('$case', async ({ principal, action, stored, events }) => {
    const fakes = fakeDeps();
    const { request, created } = await createRequest(fakes.deps, principal, body(action));
    expect(created).toBe(true);
    // the answer is the request as created, whatever the rule decided
    expect(request).toMatchObject({ status: 'pending_approval', version: 1, auditCount: 1 });
    expect(fakes.requests.writes).toBe(1);
    const saved = await fakes.requests.get(request.id);
    expect(saved).toMatchObject({ status: stored, version: events.length, auditCount: events.length });
    const trail = await fakes.requests.listAudit(request.id);
    expect(trail).toMatchObject(events.map((event, i) => ({ ...event, seq: i + 1 })));
    expect(verifyAuditChain(trail, saved!.auditHead)).toMatchObject({ ok: true });
    expect(fakes.workflow.started).toEqual([request.id]);
  });
});

describe('the Evaluate step', () => {
  it('reads nothing for a request approved at create: the execution input says so', async () => {
    const fakes = fakeDeps();
    // no such request in the store: any read would fail with NotFoundError
    const output = await workflowSteps(fakes.deps).evaluate({
      requestId: 'never-stored',
      execution: { requestId: 'never-stored', approvedAtCreate: true },
    });
    expect(output).toEqual({ route: 'approved', approvalTimeoutSeconds: 1 });
    await expect(workflowSteps(fakes.deps).evaluate({ requestId: 'never-stored' })).rejects.toThrow(
      /does not exist/,
    );
  });
});
