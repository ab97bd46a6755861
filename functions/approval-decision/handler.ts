import { refusalStatus, STATUS_BY_KIND } from '../../shared/api/problems.ts';
import { approvalFormSchema } from '../../shared/api/schemas.ts';
import { MAX_DECISION_REASON_CHARS } from '../../shared/domain/limits.ts';
import { decideByEmailLink } from '../../shared/domain/use-cases/decide-by-email-link.ts';
import { resolveApprovalLink } from '../../shared/domain/use-cases/resolve-approval-link.ts';
import {
  decisionResultPage,
  errorPage,
  linkProblemPage,
  pageForProblem,
} from '../../shared/web/approval-pages.ts';
import {
  type ApiEvent,
  type ApiHandler,
  errorResponse,
  header,
  publicRoute,
  type RouteDeps,
  routeOnAws,
} from '../http.ts';
import type { Runtime, UseCaseDeps } from '../runtime.ts';

type ApprovalDecisionDeps = RouteDeps &
  UseCaseDeps<typeof decideByEmailLink> &
  Omit<UseCaseDeps<typeof resolveApprovalLink>, 'approvalTokenKey'> &
  Pick<Runtime, 'secrets'>;

/**
 * POST /approvals/{token}: the approver's decision from the confirmation page's form
 * (`decision=approve|deny`, optional `reason`). The link is checked, then the form; then
 * decideByEmailLink spends the link (single use, even under races) and decides. A bad,
 * expired or spent link, or a bad form, changes nothing.
 */
export function makeApprovalDecisionHandler(deps: ApprovalDecisionDeps): ApiHandler {
  return publicRoute(deps, async (event) => {
    try {
      const link = await resolveApprovalLink(
        { store: deps.store, clock: deps.clock, approvalTokenKey: deps.secrets.approvalTokenKey },
        event.pathParameters?.token,
      );
      if (!link.ok) return linkProblemPage(link.problem, link.request);

      const form = decisionForm(event);
      if (!form.ok) return errorPage(form.statusCode, form.detail);

      const result = await decideByEmailLink(deps, link, form);
      switch (result.outcome) {
        case 'link_used':
          // another click (or another tab) spent it first
          return linkProblemPage('used', result.request);
        case 'approved':
        case 'denied':
          return decisionResultPage(result.request, { outcome: result.outcome });
        case 'recorded':
          return decisionResultPage(result.request, { outcome: 'recorded', remaining: result.remaining });
        case 'refused':
          if (!result.audited) {
            deps.logger.warn(
              'email decision refused: not an approver of the profile, not written to the request',
              {
                requestId: result.request.id,
                person: link.claims.person,
                code: result.code,
              },
            );
          }
          return decisionResultPage(result.request, {
            outcome: 'refused',
            why: result.message,
            statusCode: refusalStatus(result.code),
          });
      }
    } catch (error) {
      return pageForProblem(errorResponse(error, deps));
    }
  });
}

export const handler = routeOnAws(makeApprovalDecisionHandler);

type DecisionForm =
  | { ok: true; decision: 'approve' | 'deny'; reason?: string }
  | { ok: false; statusCode: number; detail: string };

/** The form body (`application/x-www-form-urlencoded`, maybe base64 from API Gateway), strictly. */
function decisionForm(event: ApiEvent): DecisionForm {
  const type = header(event, 'content-type');
  if (type === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    return {
      ok: false,
      statusCode: STATUS_BY_KIND.unsupported_media_type,
      detail: 'The decision must be sent by the form on the approval page.',
    };
  }
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in fields)
      return {
        ok: false,
        statusCode: STATUS_BY_KIND.validation,
        detail: `The form field ${name} was sent twice.`,
      };
    fields[name] = value;
  }
  const parsed = approvalFormSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
    const detail =
      field === 'decision' || field === undefined
        ? 'The decision must be approve or deny.'
        : field === 'reason'
          ? `Your reason is too long: at most ${MAX_DECISION_REASON_CHARS} characters.`
          : `The form field ${String(field)} is not expected.`;
    return { ok: false, statusCode: STATUS_BY_KIND.validation, detail };
  }
  const reason = parsed.data.reason === '' ? undefined : parsed.data.reason;
  return { ok: true, decision: parsed.data.decision, ...(reason ? { reason } : {}) };
}
