/**
 * The approval email (subject, plain text and HTML), the same for SES and the local
 * outbox. It carries one link, personal to the approver, to the confirmation page; the
 * link itself decides nothing. Everything the pipeline controls is escaped in the HTML and
 * labelled as written by the pipeline in both parts.
 */
import type { AccessRequest } from '../domain/types.ts';
import { html, safeHttpUrl } from './html.ts';
import { requestFacts } from './request-facts.ts';

export interface ApprovalEmail {
  subject: string;
  text: string;
  html: string;
}

export interface ApprovalEmailInput {
  request: AccessRequest;
  /** the configured person it is sent to */
  person: string;
  /** `<publicUrl>/approvals/<token>`: personal, single use */
  link: string;
  /** the profile's description from the config, if any */
  profileDescription?: string;
}

const MAX_SUBJECT_CHARS = 160;

export function composeApprovalEmail(input: ApprovalEmailInput): ApprovalEmail {
  const { request, person, link } = input;
  const f = requestFacts(request);
  const subject = oneLine(
    `[jitvend] Approval needed: ${request.profile} for ${f.repository} (${f.branch})`,
    MAX_SUBJECT_CHARS,
  );
  const rows: Array<[string, string | undefined]> = [
    ['Profile', `${request.profile}${input.profileDescription ? ` (${input.profileDescription})` : ''}`],
    ['Repository', f.repository],
    ['Branch', f.branch],
    ['Started by', f.startedBy ?? 'unknown'],
    ['Run', f.runUrl],
    ['Duration', f.duration],
    ['Window', f.window],
    ['Approvals', f.approvals],
    ['Decide by', f.deadline],
    ['Request', request.id],
  ];
  const present = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length)) + 2;

  const text = [
    `Hello ${person},`,
    '',
    'A pipeline asks for AWS credentials and waits for your decision.',
    '',
    ...present.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    'Reason (written by the pipeline):',
    indent(f.reason),
    '',
    'Session policy (exactly what the credentials will allow):',
    indent(f.policy),
    '',
    'Review the request and approve or deny it here:',
    link,
    '',
    'This link is yours alone: it works once and expires at the deadline. Opening it decides',
    'nothing; the page shows the request and asks you to approve or deny. Do not forward it.',
    '',
    '-- jitvend, just-in-time AWS credentials for pipelines',
  ].join('\n');

  const href = safeHttpUrl(link) ?? '';
  const runUrl = safeHttpUrl(f.runUrl);
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;';
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${subject}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;">
<div style="max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:24px;">
<p style="margin:0 0 4px;font-size:13px;color:#57606a;">jitvend</p>
<h1 style="margin:0 0 16px;font-size:20px;">Approval needed: ${request.profile}</h1>
<p>Hello ${person}, a pipeline asks for AWS credentials and waits for your decision.</p>
<table role="presentation" style="border-collapse:collapse;font-size:14px;margin:12px 0;">
${present.map(
  ([label, value]) =>
    html`<tr><td style="${cell}color:#57606a;white-space:nowrap;">${label}</td><td style="${cell}">${
      label === 'Run' && runUrl ? html`<a href="${runUrl}" style="color:#0969da;">${f.runLabel}</a>` : value
    }</td></tr>
`,
)}</table>
<p style="margin:16px 0 4px;font-size:13px;color:#57606a;">Reason (written by the pipeline)</p>
<div style="white-space:pre-wrap;background:#f6f8fa;border-radius:6px;padding:8px 12px;">${f.reason}</div>
<p style="margin:16px 0 4px;font-size:13px;color:#57606a;">Session policy: exactly what the credentials will allow</p>
<pre style="margin:0;background:#f6f8fa;border-radius:6px;padding:8px 12px;font-size:12px;overflow:auto;">${f.policy}</pre>
<p style="margin:24px 0;"><a href="${href}" style="display:inline-block;background:#1f6feb;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:6px;">Review and decide</a></p>
<p style="font-size:13px;color:#57606a;">This link is yours alone: it works once and expires at the deadline (${f.deadline}). Opening it decides nothing; the page shows the request and asks you to approve or deny. Do not forward this email.</p>
<p style="font-size:12px;color:#57606a;word-break:break-all;">${href}</p>
</div>
</body></html>
`;
  return { subject, text, html: body.toString() };
}

/** One line for a header: control characters (CR, LF…) become spaces, then it is cut. */
function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Indented block of text; control characters other than line breaks and tabs become `?`. */
function indent(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?')
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n')
  );
}
