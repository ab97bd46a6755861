/**
 * POST /approvals/{token}: an approver decides from the page an email link opened. The link
 * (already resolved, see resolve-approval-link.ts) is spent first, single use even under
 * races; only then does the decision go to decide(), which applies the approval rules,
 * audits the attempt and resumes the workflow. A link spent meanwhile changes nothing.
 */
import type { ApprovalTokenStore } from '../ports.ts';
import type { AccessRequest } from '../types.ts';
import { type DecideDeps, type DecisionResult, decide } from './decide.ts';
import type { ApprovalLink } from './resolve-approval-link.ts';

export type DecideByEmailLinkDeps = Omit<DecideDeps, 'store'> & {
  store: DecideDeps['store'] & Pick<ApprovalTokenStore, 'useApprovalToken'>;
};

export type EmailDecisionResult =
  | DecisionResult
  /** another click (or another tab) spent the link first: nothing was decided */
  | { outcome: 'link_used'; request?: AccessRequest };

export async function decideByEmailLink(
  deps: DecideByEmailLinkDeps,
  link: Extract<ApprovalLink, { ok: true }>,
  form: { decision: 'approve' | 'deny'; reason?: string },
): Promise<EmailDecisionResult> {
  const { claims } = link;
  if (!(await deps.store.useApprovalToken(link.tokenHash, deps.clock.now().toISOString()))) {
    const request = await deps.store.get(claims.requestId);
    return { outcome: 'link_used', ...(request ? { request } : {}) };
  }
  const person = deps.config.people[claims.person];
  return decide(deps, {
    requestId: claims.requestId,
    person: person ? claims.person : undefined,
    actor: person?.email ?? `email link of ${claims.person}`,
    decision: form.decision,
    channel: 'email',
    ...(form.reason ? { reason: form.reason } : {}),
  });
}
