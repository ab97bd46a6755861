/**
 * An approver's decision, from any channel (Slack button, email page, API). Every attempt by an
 * approver of the profile, accepted or refused, is an audit event with who, when, which channel
 * and why. An attempt by anyone else (no configured person, or a person who does not approve
 * this profile) is answered but never written to the request: outsiders cannot grow its audit
 * trail or bump its version; the caller logs it (`audited: false`).
 */
import { isRequesterOf, type PrincipalId } from '../access.ts';
import { approversOfRequest, judgeDecision, type RefusalCode } from '../approval.ts';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../conflict-retry.ts';
import type { Deps } from '../deps.ts';
import { ConcurrentUpdateError, ConflictError } from '../errors.ts';
import { applyChange, type Change } from '../transition.ts';
import type { AccessRequest, Channel } from '../types.ts';
import type { ApprovalDecision } from '../workflow-contract.ts';
import { changeIf } from './change-if.ts';
import { requestOrThrow } from './read-requests.ts';

export interface DecisionInput {
  requestId: string;
  /** the configured person deciding; undefined when the caller is no configured person */
  person: string | undefined;
  /** who the channel says is deciding (Slack user id, email, principal), for the audit trail */
  actor: string;
  decision: 'approve' | 'deny';
  channel: Channel;
  reason?: string;
  /**
   * the deciding token's principal (API channel): the principal that created the request never
   * decides on it, whatever person its token names
   */
  principal?: PrincipalId;
}

export type DecisionResult =
  | { outcome: 'approved' | 'denied'; request: AccessRequest; message: string }
  | { outcome: 'recorded'; request: AccessRequest; message: string; remaining: number }
  | {
      outcome: 'refused';
      request: AccessRequest;
      message: string;
      code: RefusalCode;
      /** false: an outsider's attempt, not written to the request (the caller logs it) */
      audited: boolean;
    };

export async function decide(deps: Deps, input: DecisionInput): Promise<DecisionResult> {
  for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    const request = await requestOrThrow(deps, input.requestId);
    const outsider = outsiderRefusal(deps, request, input.person);
    if (outsider) return outsider;
    const now = deps.clock.now();
    const at = now.toISOString();
    const bySelf = input.principal !== undefined && isRequesterOf(deps.config, input.principal, request);
    const verdict = judgeDecision(request, input.person, input.decision, now, bySelf);
    const who = input.person ?? input.actor;
    const reason = input.reason?.slice(0, 500);
    let change: Change;
    let result: DecisionResult;
    if (verdict.kind === 'refused') {
      change = {
        event: {
          type: 'decision_refused',
          actor: who,
          channel: input.channel,
          at,
          detail: { decision: input.decision, code: verdict.code, why: verdict.why, via: input.actor },
        },
      };
      result = { outcome: 'refused', request, message: verdict.why, code: verdict.code, audited: true };
    } else {
      const approval = {
        person: input.person!,
        decision: input.decision,
        channel: input.channel,
        at,
        ...(reason ? { reason } : {}),
      };
      const approvals = [...request.approvals, approval];
      const detail = { decision: input.decision, via: input.actor, ...(reason ? { reason } : {}) };
      if (verdict.kind === 'deny') {
        change = {
          to: 'denied',
          patch: { approvals, statusReason: `denied by ${input.person}${reason ? `: ${reason}` : ''}` },
          event: { type: 'request_denied', actor: who, channel: input.channel, at, detail },
        };
        result = { outcome: 'denied', request, message: `denied by ${input.person}` };
      } else if (verdict.final) {
        change = {
          to: 'approved',
          patch: { approvals },
          event: {
            type: 'request_approved',
            actor: who,
            channel: input.channel,
            at,
            sessionPolicyHash: request.sessionPolicyHash,
            detail,
          },
        };
        const by = approvals.filter((a) => a.decision === 'approve').map((a) => a.person);
        result = { outcome: 'approved', request, message: `approved by ${by.join(' and ')}` };
      } else {
        change = {
          patch: { approvals },
          event: { type: 'decision_recorded', actor: who, channel: input.channel, at, detail },
        };
        result = {
          outcome: 'recorded',
          request,
          remaining: verdict.remaining,
          message: `approval by ${input.person} recorded: ${verdict.remaining} more needed`,
        };
      }
    }
    const { next, event } = applyChange(request, change);
    try {
      await deps.store.commit(request, next, event);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) {
        // someone decided (or was refused) meanwhile: judge again on the new state
        await pauseAfterConflict(attempt);
        continue;
      }
      throw error;
    }
    result.request = next;
    if (result.outcome === 'approved' || result.outcome === 'denied') {
      await resumeWorkflow(deps, next, result.outcome);
    }
    return result;
  }
  throw new ConflictError(`request ${input.requestId} keeps changing; try again`);
}

/** The answer to someone who is not an approver of the request's profile: nothing is written. */
function outsiderRefusal(
  deps: Deps,
  request: AccessRequest,
  person: string | undefined,
): DecisionResult | undefined {
  if (person !== undefined && approversOfRequest(deps.config, request).has(person)) return undefined;
  return person === undefined
    ? {
        outcome: 'refused',
        request,
        code: 'unknown_person',
        message: 'you are not a person in the jitvend config',
        audited: false,
      }
    : {
        outcome: 'refused',
        request,
        code: 'not_approver',
        message: `${person} is not an approver of profile ${request.profile}`,
        audited: false,
      };
}

/**
 * Hands a decision to the waiting AwaitApproval task. When no token is stored yet, the
 * task has not started waiting: it re-reads the request after storing its token and
 * resumes itself (see workflow-steps.ts awaitApproval). Both paths take the token
 * atomically, so exactly one of them resumes the task.
 */
export async function resumeWorkflow(
  deps: Deps,
  request: AccessRequest,
  decision: ApprovalDecision,
): Promise<void> {
  // whoever takes the token resumes the task: never two senders (then a `false` below
  // can only mean the task stopped waiting, not that someone else resumed it)
  const token = await deps.store.takeTaskToken(request.id);
  if (token === undefined) return;
  const resumed = await deps.callback.sendTaskSuccess(token, { decision });
  if (!resumed && decision === 'approved') {
    // the task stopped waiting (it timed out) just as the approval landed: end cleanly, never half-approved
    await changeIf(deps, request.id, ['approved'], () => ({
      to: 'failed',
      patch: { statusReason: 'the approval arrived as the request timed out; ask again' },
      event: {
        type: 'request_failed',
        actor: 'jitvend',
        channel: 'workflow',
        at: deps.clock.now().toISOString(),
      },
    }));
  }
}
