/**
 * An approver's personal email approval link: a fresh token bound to the request, the person
 * and the request's approval deadline, whose hash (never the token) is stored so the link can
 * be spent once (resolve-approval-link.ts, decide-by-email-link.ts). The email channels
 * (shared/adapters/ses/approval-emails.ts) call this once per approver they write to; a
 * restart that notifies again issues new links, and older unused ones still work until the deadline.
 */
import { approvalLink, issueApprovalToken } from '../approval-tokens.ts';
import type { ApprovalTokenStore } from '../ports.ts';
import type { AccessRequest } from '../types.ts';

export interface IssueApprovalLinkDeps {
  store: Pick<ApprovalTokenStore, 'saveApprovalToken'>;
  /** the API's public base URL: links are `<publicUrl>/approvals/<token>` */
  publicUrl: string;
  approvalTokenKey: Uint8Array;
}

/** Resolves with the link: it goes into the approver's message only, never a log or an event. */
export async function issueApprovalLink(
  deps: IssueApprovalLinkDeps,
  request: Pick<AccessRequest, 'id' | 'approvalDeadline'>,
  person: string,
): Promise<string> {
  const { token, tokenHash } = issueApprovalToken(
    { requestId: request.id, person, expiresAt: request.approvalDeadline },
    deps.approvalTokenKey,
  );
  await deps.store.saveApprovalToken({
    tokenHash,
    requestId: request.id,
    person,
    expiresAt: request.approvalDeadline,
  });
  return approvalLink(deps.publicUrl, token);
}
