/**
 * The steps of the approval workflow (the Lambda tasks of the state machine in
 * infra/constructs/workflow.ts; executed in process by the local stack).
 */
import type { Deps } from '../deps.ts';
import { IssueError } from '../errors.ts';
import { assumeRoleInputFor, sourceIdentityFor } from '../session.ts';
import type { RequestStatus } from '../types.ts';
import { windowEndAtIssue, windowEndOf } from '../window.ts';
import type { ApprovalDecision, WorkflowSteps } from '../workflow-contract.ts';
import { autoApproval } from './create-request.ts';
import { requestOrThrow } from './read-requests.ts';
import { pendingDeny, releaseRevocation } from './release-revocation.ts';
import { resumeWorkflow } from './resume-workflow.ts';
import { changeIf } from './update-request.ts';

const SYSTEM = 'jitvend';

function decisionFor(status: RequestStatus): ApprovalDecision {
  if (status === 'approved') return 'approved';
  if (status === 'denied') return 'denied';
  return 'cancelled';
}

/** Lambda error Causes are JSON ({errorMessage, errorType}); keep the message, bounded. */
export function failureReason(error: { Error?: string; Cause?: string } | undefined): string {
  let message = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  message = message.replace(/\s+/g, ' ').trim();
  const name = error?.Error ?? 'Error';
  return `${name}: ${message || 'no details'}`.slice(0, 500);
}

export function workflowSteps(deps: Deps): WorkflowSteps {
  const at = () => deps.clock.now().toISOString();
  return {
    async evaluate({ requestId, execution }) {
      // approved by its rule in the create transaction: nothing to read or decide here
      if (execution?.approvedAtCreate === true) return { route: 'approved', approvalTimeoutSeconds: 1 };
      const request = await requestOrThrow(deps, requestId);
      if (request.status === 'approved') return { route: 'approved', approvalTimeoutSeconds: 1 };
      if (request.status !== 'pending_approval') return { route: 'closed', approvalTimeoutSeconds: 1 };
      const route = request.approvalRoute;
      if (route.kind === 'auto') {
        // requests are approved by their rule at create (createRequest); one stored still
        // pending with an auto route (created before that, then resumed) is approved here
        const approved = await changeIf(deps, request, ['pending_approval'], (current) =>
          autoApproval(current, route, at()),
        );
        return { route: approved ? 'approved' : 'closed', approvalTimeoutSeconds: 1 };
      }
      const remaining = Math.ceil(
        (new Date(request.approvalDeadline).getTime() - deps.clock.now().getTime()) / 1000,
      );
      return { route: 'human', approvalTimeoutSeconds: Math.max(1, remaining) };
    },

    async awaitApproval({ requestId, taskToken }) {
      const request = await requestOrThrow(deps, requestId);
      // the token lives server-side only until the decision or the deadline
      await deps.store.saveTaskToken(requestId, taskToken, request.approvalDeadline);
      const current = await requestOrThrow(deps, requestId);
      if (current.status !== 'pending_approval') {
        // decided (or cancelled) before we started waiting: resume at once
        await resumeWorkflow(deps, current, decisionFor(current.status));
        return;
      }
      const route = current.approvalRoute;
      const people =
        route.kind === 'human' ? route.approvers.flatMap((n) => deps.config.people[n] ?? []) : [];
      const report = await deps.notifier.requestApproval(current, people);
      await changeIf(deps, current, ['pending_approval'], () => ({
        event: {
          type: 'approvers_notified',
          actor: SYSTEM,
          channel: 'workflow',
          at: at(),
          detail: { approvers: people.map((p) => p.name), channels: report },
        },
      }));
    },

    async issue({ requestId }) {
      const request = await requestOrThrow(deps, requestId);
      if (request.status !== 'approved') return { issued: false };
      const profile = deps.config.profiles[request.profile];
      if (!profile) throw new IssueError(`profile ${request.profile} is no longer configured`, false);
      const sourceIdentity = sourceIdentityFor(request.id);
      const credentials = await deps.issuer.assumeRole(
        assumeRoleInputFor(request, profile.roleArn, request.durationSeconds),
      );
      const sealed = await deps.vault.seal(request.id, credentials);
      const issuedAt = deps.clock.now();
      // the approval window starts now: the request stays issued until it ends
      const windowEndsAt = windowEndAtIssue(request, issuedAt, credentials.expiration);
      const issued = await changeIf(
        deps,
        request,
        ['approved'],
        (current) => ({
          to: 'issued',
          patch: { issuedAt: issuedAt.toISOString(), expiresAt: credentials.expiration, windowEndsAt },
          event: {
            type: 'credentials_issued',
            actor: SYSTEM,
            channel: 'workflow',
            at: issuedAt.toISOString(),
            sessionPolicyHash: current.sessionPolicyHash,
            detail: {
              roleArn: profile.roleArn,
              sourceIdentity,
              expiresAt: credentials.expiration,
              ...(windowEndsAt !== credentials.expiration ? { windowEndsAt } : {}),
            },
          },
        }),
        { putCredentials: sealed },
      );
      if (!issued) return { issued: false };
      return { issued: true, expiresAt: credentials.expiration, windowEndsAt };
    },

    async markFailed({ requestId, error }) {
      const reason = failureReason(error);
      await changeIf(deps, requestId, ['pending_approval', 'approved'], () => ({
        to: 'failed',
        patch: { statusReason: reason },
        event: { type: 'request_failed', actor: SYSTEM, channel: 'workflow', at: at(), detail: { reason } },
      }));
      // credentials minted before the failure (e.g. Lambda lost IssueCredentials' answer):
      // the request is issued, and the workflow must still expire it and release its deny
      const request = await requestOrThrow(deps, requestId);
      if (request.expiresAt && (request.status === 'issued' || pendingDeny(request))) {
        return {
          issued: true,
          expiresAt: request.expiresAt,
          windowEndsAt: windowEndOf(request.expiresAt, request.windowEndsAt),
        };
      }
      return { issued: false };
    },

    async markTimedOut({ requestId }) {
      await changeIf(deps, requestId, ['pending_approval'], (request) => ({
        to: 'timed_out',
        patch: { statusReason: `no decision before the approval deadline ${request.approvalDeadline}` },
        event: { type: 'request_timed_out', actor: SYSTEM, channel: 'workflow', at: at() },
      }));
      return {};
    },

    async expire({ requestId }) {
      let request = await requestOrThrow(deps, requestId);
      if (request.status === 'issued') {
        // called at the window's end (WaitUntilExpiry): the request ends here
        request =
          (await changeIf(
            deps,
            request,
            ['issued'],
            () => ({
              to: 'expired',
              event: { type: 'request_expired', actor: SYSTEM, channel: 'workflow', at: at() },
            }),
            { deleteCredentials: 'if_present' },
          )) ?? (await requestOrThrow(deps, requestId));
      }
      return releaseRevocation(deps, request);
    },
  };
}
