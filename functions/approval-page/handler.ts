import { judgeDecision } from '../../shared/domain/approval.ts';
import { resolveApprovalLink } from '../../shared/domain/use-cases/resolve-approval-link.ts';
import {
  confirmationPage,
  linkProblemPage,
  notPendingPage,
  pageForProblem,
} from '../../shared/web/approval-pages.ts';
import { errorResponse, publicRoute } from '../http.ts';

/**
 * GET /approvals/{token}: the confirmation page of an email approval link. It only reads:
 * mail scanners and link previews open links, so showing the page never decides anything
 * and never marks the link used. The decision is the page's form (POST /approvals/{token}).
 */
export const handler = publicRoute(async ({ event, runtime }) => {
  try {
    const link = await resolveApprovalLink(
      { store: runtime.store, clock: runtime.clock, approvalTokenKey: runtime.secrets.approvalTokenKey },
      event.pathParameters?.token,
    );
    if (!link.ok) return linkProblemPage(link.problem, link.request);
    const { request, claims } = link;
    if (request.status !== 'pending_approval') return notPendingPage(request);

    // a preview of the approval rules, so the page offers only what would be accepted
    const now = runtime.clock.now();
    const person = runtime.config.people[claims.person] ? claims.person : undefined;
    const approve = judgeDecision(request, person, 'approve', now);
    const deny = judgeDecision(request, person, 'deny', now);
    const profile = runtime.config.profiles[request.profile];
    return confirmationPage({
      request,
      person: claims.person,
      now,
      ...(profile?.description ? { profileDescription: profile.description } : {}),
      ...(profile ? { roleArn: profile.roleArn } : {}),
      ...(approve.kind === 'refused' ? { approveRefused: approve.why } : {}),
      ...(deny.kind === 'refused' ? { denyRefused: deny.why } : {}),
    });
  } catch (error) {
    return pageForProblem(errorResponse(error, runtime));
  }
});
