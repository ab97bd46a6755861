/**
 * The pages behind an approver's email link: the confirmation page (GET /approvals/{token})
 * with the request and the Approve / Deny form, the result of a decision (POST), and the
 * pages that say why a link cannot be used.
 */
import { STATUS_BY_KIND } from '../api/problems.ts';
import { MAX_DECISION_REASON_CHARS } from '../domain/limits.ts';
import type { AccessRequest, RequestStatus } from '../domain/types.ts';
import type { LinkProblem } from '../domain/use-cases/resolve-approval-link.ts';
import { html, type SafeHtml, safeHttpUrl } from './html.ts';
import { type HtmlResponse, messagePage, renderPage, type Tone } from './page.ts';
import { formatInstant, requestFacts, statusWords, timeLeft } from './request-facts.ts';

export interface ConfirmationPageInput {
  request: AccessRequest;
  /** the person the link was sent to */
  person: string;
  profileDescription?: string;
  roleArn?: string;
  now: Date;
  /**
   * Why this person could not approve or deny right now (from the approval rules), so the
   * page offers only what would be accepted. The POST judges again: this is only a preview.
   */
  approveRefused?: string;
  denyRefused?: string;
}

export function confirmationPage(input: ConfirmationPageInput): HtmlResponse {
  const { request, person, now } = input;
  const f = requestFacts(request);
  const runUrl = safeHttpUrl(f.runUrl);
  const canApprove = input.approveRefused === undefined;
  const canDeny = input.denyRefused === undefined;
  const title = `Approve access to ${request.profile}?`;
  const who = f.startedBy ? html`${f.startedBy}’s pipeline` : html`A pipeline`;
  const context = f.context;
  const refusals = [input.approveRefused, canDeny ? undefined : input.denyRefused].filter(
    (why): why is string => why !== undefined,
  );

  const content = html`<h1>${title}</h1>
<p class="lead">${who} on <strong>${f.repository}</strong> (${f.branch}) asks for AWS credentials for
<strong>${f.window ? `a window of ${f.window}` : f.duration}</strong>. You decide as <strong>${person}</strong>.</p>
${
  refusals.length > 0
    ? html`<div class="banner warn">${refusals.map((why) => html`<p>${capitalize(why)}.</p>`)}</div>`
    : ''
}
<dl class="facts">
<dt>Requested by</dt><dd>${request.requester}</dd>
<dt>Repository</dt><dd>${f.repository}</dd>
<dt>Branch</dt><dd>${f.branch}</dd>
<dt>Started by</dt><dd>${f.startedBy ?? 'unknown'}</dd>
${runUrl ? html`<dt>Run</dt><dd><a href="${runUrl}" rel="noreferrer noopener">${f.runLabel}</a></dd>` : ''}
<dt>Profile</dt><dd>${request.profile}${input.profileDescription ? html` · ${input.profileDescription}` : ''}</dd>
${input.roleArn ? html`<dt>Role</dt><dd>${input.roleArn}</dd>` : ''}
<dt>Duration</dt><dd>${f.duration}</dd>
${f.window ? html`<dt>Window</dt><dd>${f.window}</dd>` : ''}
<dt>Approvals so far</dt><dd>${f.approvals}</dd>
<dt>Decide by</dt><dd>${f.deadline} (${timeLeft(request.approvalDeadline, now)})</dd>
<dt>Status</dt><dd>${statusWords(request.status)}</dd>
<dt>Request</dt><dd>${request.id}</dd>
</dl>
${approvalsList(request)}
<h2>Reason <small>written by the pipeline</small></h2>
<p class="reason">${f.reason}</p>
${
  context.length > 0
    ? html`<h2>Context <small>from the pipeline</small></h2>
<dl class="facts">${context.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`
    : ''
}
<h2>Session policy <small>exactly what the credentials will allow</small></h2>
<pre>${f.policy}</pre>
${canApprove || canDeny ? decisionForm(canApprove, canDeny) : ''}`;
  return renderPage({ statusCode: 200, title, content });
}

function decisionForm(canApprove: boolean, canDeny: boolean): SafeHtml {
  return html`<form method="post">
<label for="reason">Your reason <small>(optional, recorded in the audit trail)</small></label>
<textarea id="reason" name="reason" maxlength="${MAX_DECISION_REASON_CHARS}" rows="3"></textarea>
<div class="actions">
${canApprove ? html`<button type="submit" name="decision" value="approve" class="approve">Approve</button>` : ''}
${canDeny ? html`<button type="submit" name="decision" value="deny" class="deny">Deny</button>` : ''}
</div>
<p class="note">Nothing has been decided yet. Your decision is final, and this link works only once.</p>
</form>`;
}

function approvalsList(request: AccessRequest): SafeHtml | '' {
  if (request.approvals.length === 0) return '';
  return html`<h2>Decisions so far</h2>
<ul class="approvals">${request.approvals.map(
    (a) =>
      html`<li>${a.person} ${a.decision === 'approve' ? 'approved' : 'denied'} via ${a.channel}, ${formatInstant(a.at)}${
        a.reason ? html`: “${a.reason}”` : ''
      }</li>`,
  )}</ul>`;
}

export type DecisionPageOutcome =
  | { outcome: 'approved' | 'denied' }
  | { outcome: 'recorded'; remaining: number }
  | { outcome: 'refused'; why: string; statusCode: number };

/** The answer to a decision (POST /approvals/{token}). */
export function decisionResultPage(request: AccessRequest, result: DecisionPageOutcome): HtmlResponse {
  const summary = requestSummary(request);
  switch (result.outcome) {
    case 'approved':
      return messagePage({
        statusCode: 200,
        tone: 'ok',
        title: 'Approved. The pipeline gets its credentials now.',
        lines: ['Thank you: your approval is recorded in the audit trail. You can close this page.'],
        extra: summary,
      });
    case 'denied':
      return messagePage({
        statusCode: 200,
        tone: 'bad',
        title: 'Denied.',
        lines: ['The pipeline is told that its request was denied. You can close this page.'],
        extra: summary,
      });
    case 'recorded':
      return messagePage({
        statusCode: 200,
        tone: 'info',
        title: `Recorded: ${result.remaining} more approval${result.remaining === 1 ? '' : 's'} needed`,
        lines: [
          'Your approval counts. The request is approved once enough other approvers agree. You can close this page.',
        ],
        extra: summary,
      });
    case 'refused':
      return messagePage({
        statusCode: result.statusCode,
        tone: 'warn',
        title: 'Nothing was changed',
        lines: [`${capitalize(result.why)}.`],
        extra: summary,
      });
  }
}

/** Each link problem is a kind of refusal, with that kind's one status (shared/api/problems.ts). */
const LINK_STATUS: Record<LinkProblem, number> = {
  invalid: STATUS_BY_KIND.validation,
  expired: STATUS_BY_KIND.gone,
  used: STATUS_BY_KIND.gone,
  unknown_request: STATUS_BY_KIND.not_found,
};

export function linkProblemPage(problem: LinkProblem, request?: AccessRequest): HtmlResponse {
  const status = request
    ? html`<p class="note">The request is now ${statusWords(request.status)}.</p>`
    : undefined;
  switch (problem) {
    case 'invalid':
      return messagePage({
        statusCode: LINK_STATUS.invalid,
        tone: 'bad',
        title: 'This link is not valid',
        lines: [
          'It may have been cut off or changed on its way to you. Open the link from the email again; nothing was changed.',
        ],
      });
    case 'expired':
      return messagePage({
        statusCode: LINK_STATUS.expired,
        tone: 'warn',
        title: 'This link has expired',
        lines: [
          'Approval links stop working at the request’s approval deadline. Nothing was changed; the pipeline can ask again.',
        ],
      });
    case 'used':
      return messagePage({
        statusCode: LINK_STATUS.used,
        tone: 'warn',
        title: 'This link was already used',
        lines: [
          'Each approval link works once, and a decision was already taken with this one. Nothing was changed.',
        ],
        ...(status ? { extra: status } : {}),
      });
    case 'unknown_request':
      return messagePage({
        statusCode: LINK_STATUS.unknown_request,
        tone: 'warn',
        title: 'This request no longer exists',
        lines: ['Nothing was changed.'],
      });
  }
}

const STATUS_TONE: Record<RequestStatus, Tone> = {
  pending_approval: 'info',
  approved: 'ok',
  issued: 'ok',
  expired: 'info',
  denied: 'bad',
  timed_out: 'warn',
  cancelled: 'warn',
  revoked: 'bad',
  released: 'info',
  failed: 'bad',
};

/** The link is good, but the request no longer waits for anyone. */
export function notPendingPage(request: AccessRequest): HtmlResponse {
  const reason = request.statusReason ? `${capitalize(request.statusReason)}.` : undefined;
  return messagePage({
    statusCode: 200,
    tone: STATUS_TONE[request.status],
    title: `This request is already ${statusWords(request.status)}`,
    lines: [
      'It no longer waits for a decision: there is nothing to approve or deny.',
      ...(reason ? [reason] : []),
    ],
    extra: requestSummary(request),
  });
}

/** A page for errors with a status and a message already fit for the user (problem detail). */
export function errorPage(statusCode: number, detail: string): HtmlResponse {
  return messagePage({
    statusCode,
    tone: 'bad',
    title: statusCode >= 500 ? 'Something went wrong' : 'This did not work',
    lines: [detail, 'Nothing was changed by this page.'],
  });
}

/**
 * The page for a problem+json response (functions/http.ts `errorResponse` stays the one
 * place that maps errors to a status and a detail that is safe to show).
 */
export function pageForProblem(problem: { statusCode?: number; body?: string }): HtmlResponse {
  const statusCode = problem.statusCode ?? 500;
  let detail = 'internal error';
  try {
    const parsed = JSON.parse(problem.body ?? '{}') as { detail?: unknown };
    if (typeof parsed.detail === 'string') detail = parsed.detail;
  } catch {
    // keep the generic detail
  }
  return errorPage(statusCode, detail);
}

function requestSummary(request: AccessRequest): SafeHtml {
  const f = requestFacts(request);
  return html`<dl class="facts">
<dt>Profile</dt><dd>${request.profile}</dd>
<dt>Repository</dt><dd>${f.repository} (${f.branch})</dd>
<dt>Duration</dt><dd>${f.duration}</dd>
${f.window ? html`<dt>Window</dt><dd>${f.window}</dd>` : ''}
<dt>Approvals</dt><dd>${f.approvals}</dd>
<dt>Status</dt><dd>${statusWords(request.status)}</dd>
<dt>Request</dt><dd>${request.id}</dd>
</dl>`;
}

function capitalize(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}
