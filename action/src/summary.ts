/**
 * The job summary (Markdown, `GITHUB_STEP_SUMMARY`): which request, what policy, who
 * approved, until when, and where to look at it. Never the credentials. Text that people
 * wrote (reason, names) is escaped: it is shown, never interpreted.
 */
import { isLoopback } from '../../cli/api-client.ts';
import { approvalRouteOf, type RequestView } from '../../cli/api-types.ts';
import { sanitize } from '../../cli/format.ts';

export interface SummaryInput {
  api: string;
  view: RequestView;
  expiration: string;
  /** the window's end, when the action wrote a renewing profile (else one session was exported) */
  renewedUntil?: string;
}

export function jobSummary({ api, view, expiration, renewedUntil }: SummaryInput): string {
  const rows: Array<[string, string]> = [
    ['Request', code(view.id)],
    ['Profile', code(view.profile)],
    ['Status', escapeMarkdown(view.status)],
    ['Approval', approvalText(view)],
    ['Expires', escapeMarkdown(expiration)],
    ...(renewedUntil
      ? ([
          ['Window', `renewed through the \`jitvend\` AWS profile until ${escapeMarkdown(renewedUntil)}`],
        ] as Array<[string, string]>)
      : []),
    ['Reason', escapeMarkdown(view.reason)],
    ['Requester', code(view.requester)],
    ['Look it up', lookUp(api, view.id)],
  ];
  const policy = JSON.stringify(view.sessionPolicy ?? null, null, 2);
  return [
    `### jitvend: AWS credentials for ${code(view.profile)}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
    '',
    '<details><summary>Session policy (everything these credentials allow)</summary>',
    '',
    fence(policy, 'json'),
    '',
    '</details>',
    '',
  ].join('\n');
}

/** Who approved: the people, their channel and time; or the auto-approval rule. */
export function approvalText(view: Pick<RequestView, 'approvals' | 'approval' | 'approvalRoute'>): string {
  const approvals = (view.approvals ?? []).filter((approval) => approval.decision === 'approve');
  if (approvals.length)
    return approvals
      .map(
        (a) =>
          `approved by ${escapeMarkdown(a.person)} via ${escapeMarkdown(a.channel)} at ${escapeMarkdown(a.at)}${
            a.reason ? ` (${escapeMarkdown(a.reason)})` : ''
          }`,
      )
      .join('<br>');
  const route = approvalRouteOf(view);
  if (route?.kind === 'auto') return `auto-approved (autoApprove rule ${route.rule} of the profile)`;
  return 'approved';
}

/** The local stack has a page per request; elsewhere the CLI shows it. */
function lookUp(api: string, id: string): string {
  const url = new URL(api);
  if (isLoopback(url)) {
    const page = `${api}/?request=${encodeURIComponent(id)}`;
    return `[request page](${page})`;
  }
  return code(`jitvend status ${id} --api ${api} --format text`);
}

/** Markdown and HTML specials become literal characters; one line. */
export function escapeMarkdown(text: string): string {
  return sanitize(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** An inline code span that no backtick inside can close early. */
function code(text: string): string {
  // a pipe ends a table cell even inside a code span unless escaped
  const clean = sanitize(text).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${longest ? ' ' : ''}${clean}${longest ? ' ' : ''}${ticks}`;
}

/** A fenced block longer than any backtick run inside it. */
function fence(text: string, language: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${language}\n${text}\n${ticks}`;
}
