/**
 * An approver's decision, from any channel (Slack button, email page, API). Every attempt by an
 * approver of the profile, accepted or refused, is an audit event with who, when, which channel
 * and why. An attempt by anyone else (no configured person, or a person who does not approve
 * this profile) is answered but never written to the request: outsiders cannot grow its audit
 * trail or bump its version; the caller logs it (`audited: false`).
 */
import { isRequesterOf, type PrincipalId } from '../access.ts';
import { approversOfRequest, judgeDecision, type RefusalCode } from '../approval.ts';
import { MAX_DECISION_REASON_CHARS } from '../limits.ts';
import type { Change } from '../transition.ts';
import type { AccessRequest, Channel } from '../types.ts';
import { type ResumeWorkflowDeps, resumeWorkflow } from './resume-workflow.ts';
import { updateRequest } from './update-request.ts';

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

export type DecideDeps = ResumeWorkflowDeps;

export function decide(deps: DecideDeps, input: DecisionInput): Promise<DecisionResult> {
  return updateRequest<DecisionResult>(deps, {
    id: input.requestId,
    // judged again after a lost race: someone decided (or was refused) meanwhile
    decide: ({ request }) => {
      const outsider = outsiderRefusal(deps, request, input.person);
      if (outsider) return { answer: outsider };
      const { change, result } = judged(deps, request, input);
      return {
        change,
        done: async (next) => {
          result.request = next;
          if (result.outcome === 'approved' || result.outcome === 'denied') {
            await resumeWorkflow(deps, next, result.outcome);
          }
          return result;
        },
      };
    },
  });
}

/** An approver's attempt, judged by the approval rules: the change to write and the answer. */
function judged(
  deps: Pick<DecideDeps, 'config' | 'clock'>,
  request: AccessRequest,
  input: DecisionInput,
): { change: Change; result: DecisionResult } {
  const now = deps.clock.now();
  const at = now.toISOString();
  const bySelf = input.principal !== undefined && isRequesterOf(deps.config, input.principal, request);
  const verdict = judgeDecision(request, input.person, input.decision, now, bySelf);
  const who = input.person ?? input.actor;
  const reason = input.reason?.slice(0, MAX_DECISION_REASON_CHARS);
  if (verdict.kind === 'refused') {
    return {
      change: {
        event: {
          type: 'decision_refused',
          actor: who,
          channel: input.channel,
          at,
          detail: { decision: input.decision, code: verdict.code, why: verdict.why, via: input.actor },
        },
      },
      result: { outcome: 'refused', request, message: verdict.why, code: verdict.code, audited: true },
    };
  }
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
    return {
      change: {
        to: 'denied',
        patch: { approvals, statusReason: `denied by ${input.person}${reason ? `: ${reason}` : ''}` },
        event: { type: 'request_denied', actor: who, channel: input.channel, at, detail },
      },
      result: { outcome: 'denied', request, message: `denied by ${input.person}` },
    };
  }
  if (verdict.final) {
    const by = approvals.filter((a) => a.decision === 'approve').map((a) => a.person);
    return {
      change: {
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
      },
      result: { outcome: 'approved', request, message: `approved by ${by.join(' and ')}` },
    };
  }
  return {
    change: {
      patch: { approvals },
      event: { type: 'decision_recorded', actor: who, channel: input.channel, at, detail },
    },
    result: {
      outcome: 'recorded',
      request,
      remaining: verdict.remaining,
      message: `approval by ${input.person} recorded: ${verdict.remaining} more needed`,
    },
  };
}

/** The answer to someone who is not an approver of the request's profile: nothing is written. */
function outsiderRefusal(
  deps: Pick<DecideDeps, 'config'>,
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
