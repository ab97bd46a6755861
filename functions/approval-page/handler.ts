import { judgeDecision } from '../../shared/domain/approval.ts';
import { resolveApprovalLink } from '../../shared/domain/use-cases/resolve-approval-link.ts';
import {
  confirmationPage,
  linkProblemPage,
  notPendingPage,
  pageForProblem,
} from '../../shared/web/approval-pages.ts';
import { type ApiHandler, errorResponse, publicRoute, type RouteDeps, routeOnAws } from '../http.ts';
import type { Runtime, UseCaseDeps } from '../runtime.ts';

type ApprovalPageDeps = RouteDeps &
  Omit<UseCaseDeps<typeof resolveApprovalLink>, 'approvalTokenKey'> &
  Pick<Runtime, 'config' | 'secrets'>;

/**
 * GET /approvals/{token}: the confirmation page of an email approval link. It only reads:
 * mail scanners and link previews open links, so showing the page never decides anything
 * and never marks the link used. The decision is the page's form (POST /approvals/{token}).
 */
export function makeApprovalPageHandler(deps: ApprovalPageDeps): ApiHandler {
  return publicRoute(deps, async (event) => {
    try {
      const link = await resolveApprovalLink(
        { store: deps.store, clock: deps.clock, approvalTokenKey: deps.secrets.approvalTokenKey },
        event.pathParameters?.token,
      );
      if (!link.ok) return linkProblemPage(link.problem, link.request);
      const { request, claims } = link;
      if (request.status !== 'pending_approval') return notPendingPage(request);

      // a preview of the approval rules, so the page offers only what would be accepted
      const now = deps.clock.now();
      const person = deps.config.people[claims.person] ? claims.person : undefined;
      const approve = judgeDecision(request, person, 'approve', now);
      const deny = judgeDecision(request, person, 'deny', now);
      const profile = deps.config.profiles[request.profile];
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
      return pageForProblem(errorResponse(error, deps));
    }
  });
}

export const handler = routeOnAws(makeApprovalPageHandler);
