/**
 * The Slack messages of jitvend (Block Kit): the request awaiting approval with its
 * Approve / Deny buttons, the same message once decided, and the ephemeral answers.
 * Buttons carry the request id only: never a task token, never anything secret.
 *
 * Everything a pipeline controls is shown as plain text: reason, context and claims go into
 * `plain_text` objects, one line each (no line break can forge a section, no `*bold*`), with
 * `&`, `<` and `>` escaped as Slack asks for all text (so no `<!channel>`, `<@U...>` or
 * `<http...|...>` either); the policy sits in a code block escaped the same way. Only text
 * jitvend writes itself is mrkdwn.
 */
import type { AccessRequest } from '../../domain/types.ts';
import {
  approvalsSoFar,
  formatApprovalLength,
  formatDuration,
  formatWindow,
  plainLine,
  remainingApprovals,
  runOf,
} from '../../web/request-facts.ts';

export const SLACK_ACTION = {
  approve: 'jitvend_approve',
  deny: 'jitvend_deny',
  revoke: 'jitvend_revoke',
} as const;
export type SlackActionId = (typeof SLACK_ACTION)[keyof typeof SLACK_ACTION];

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  sectionText: 3000,
  field: 2000,
  headerText: 150,
  contextText: 2000,
  /** top-level `text`: Slack truncates beyond 40,000; notifications show far less */
  fallbackText: 3000,
} as const;

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface ButtonElement {
  type: 'button';
  action_id: SlackActionId;
  text: PlainText;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: PlainText; text: PlainText; confirm: PlainText; deny: PlainText };
}
export type SlackBlock =
  | { type: 'header'; block_id?: string; text: PlainText }
  | { type: 'section'; block_id?: string; text: TextObject }
  | { type: 'section'; block_id?: string; fields: TextObject[] }
  | { type: 'actions'; block_id?: string; elements: ButtonElement[] }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'divider'; block_id?: string };

export interface SlackMessage {
  /** plain-text fallback: notifications, screen readers, clients without blocks */
  text: string;
  blocks: SlackBlock[];
}

export type DecisionOutcome = 'approved' | 'denied' | 'recorded';

/** The message an approver gets for a request waiting for people. */
export function approvalRequestMessage(request: AccessRequest): SlackMessage {
  return {
    text: fallback(`jitvend: approval needed for ${request.profile}. ${summaryLine(request)}`),
    blocks: [...requestBlocks(request), decisionButtons(request)],
  };
}

/**
 * The same message once a decision was accepted: the status line on top; the buttons stay
 * only while more approvals are needed (a shared channel message serves several approvers).
 */
export function decisionMessage(
  request: AccessRequest,
  outcome: DecisionOutcome,
  person: string,
): SlackMessage {
  const line = decisionLine(request, outcome, person);
  const emoji =
    outcome === 'approved'
      ? ':white_check_mark:'
      : outcome === 'denied'
        ? ':no_entry:'
        : ':ballot_box_with_check:';
  return {
    text: fallback(`${line}. jitvend request for ${request.profile}: ${summaryLine(request)}`),
    blocks: [
      {
        type: 'section',
        block_id: 'jitvend_status',
        text: mrkdwn(`${emoji} *${escapeMrkdwn(neutralMarks(line))}*`),
      },
      ...requestBlocks(request),
      ...(outcome === 'recorded' ? [decisionButtons(request)] : []),
      // once approved, approvers can stop the session early from the same message
      ...(outcome === 'approved' ? [revokeButton(request)] : []),
    ],
  };
}

/** The message once an approver revoked the issued session from Slack. */
export function revokedMessage(request: AccessRequest, person: string): SlackMessage {
  const line = `Revoked by ${person}: the session is denied on the role until it expires`;
  return {
    text: fallback(`${line}. jitvend request for ${request.profile}: ${summaryLine(request)}`),
    blocks: [
      {
        type: 'section',
        block_id: 'jitvend_status',
        text: mrkdwn(`:octagonal_sign: *${escapeMrkdwn(neutralMarks(line))}*`),
      },
      ...requestBlocks(request),
    ],
  };
}

/**
 * Sent to the approvers who were asked, when the requester released its issued request: the
 * request's blocks again under a status line (Slack can only edit a message whose id jitvend
 * keeps, so this is a new message in the same conversation).
 */
export function releasedMessage(request: AccessRequest): SlackMessage {
  const line = 'Released by the requester: ended early, the session is denied on the role until it expires';
  return {
    text: fallback(`${line}. jitvend request for ${request.profile}: ${summaryLine(request)}`),
    blocks: [
      {
        type: 'section',
        block_id: 'jitvend_status',
        text: mrkdwn(`:checkered_flag: *${escapeMrkdwn(line)}*`),
      },
      ...requestBlocks(request),
    ],
  };
}

function revokeButton(request: AccessRequest): SlackBlock {
  return {
    type: 'actions',
    block_id: 'jitvend_revoke',
    elements: [
      {
        type: 'button',
        action_id: SLACK_ACTION.revoke,
        text: plain('Revoke'),
        style: 'danger',
        value: request.id,
        confirm: {
          title: plain('Revoke this session?'),
          text: plain('Every AWS call made with its credentials is denied from now until it expires.'),
          confirm: plain('Revoke'),
          deny: plain('Cancel'),
        },
      },
    ],
  };
}

/** "Approved by alice", "Denied by bob: reason", "Approval by alice recorded: 1 more needed". */
export function decisionLine(request: AccessRequest, outcome: DecisionOutcome, person: string): string {
  switch (outcome) {
    case 'approved': {
      const by = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.person);
      return `Approved by ${(by.length > 0 ? by : [person]).join(' and ')}`;
    }
    case 'denied': {
      const deny = request.approvals.findLast((a) => a.decision === 'deny' && a.person === person);
      return `Denied by ${person}${deny?.reason ? `: ${plainLine(deny.reason)}` : ''}`;
    }
    case 'recorded': {
      const remaining = remainingApprovals(request);
      return `Approval by ${person} recorded: ${remaining} more needed`;
    }
  }
}

/** The ephemeral answer to a click that changed nothing, saying why. */
export function refusalText(why: string): string {
  return fallback(`Your click changed nothing: ${why}.`);
}

// ---------------------------------------------------------------------------------------

function requestBlocks(request: AccessRequest): SlackBlock[] {
  const claims = request.requesterClaims;
  const fields: TextObject[] = [
    field('Repository', claims.repository ?? claims.project_path ?? request.requester),
    field('Branch', claims.ref ?? 'unknown'),
    field('Started by', claims.actor ?? claims.user_login ?? request.initiator ?? 'unknown'),
  ];
  const run = runOf(claims, request.requesterIssuer);
  // runOf admits only the CIs' exact shapes (owner/repo, group/project and digits) and a
  // configured issuer's https URL: safe inside a link
  if (run) fields.push(mrkdwn(`*Run*\n<${run.url}|${escapeMrkdwn(run.label)}>`));
  fields.push(field('Duration', formatDuration(request.durationSeconds)));
  // one approval may cover a window of renewed sessions: approvers see how long it lasts
  const window = formatWindow(request);
  if (window) fields.push(field('Window', window));
  fields.push(
    field('Approvals', approvalsSoFar(request)),
    mrkdwn(`*Decide by*\n${slackDate(request.approvalDeadline)}`),
    field('Request', request.id),
  );
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: plain(truncate(`Approval needed: ${request.profile}`, SLACK_LIMITS.headerText)),
    },
    { type: 'section', block_id: 'jitvend_request', fields },
    {
      type: 'section',
      block_id: 'jitvend_reason',
      text: plain(`Reason\n${escapedWithin(plainLine(request.reason), SLACK_LIMITS.sectionText - 7)}`),
    },
  ];
  const context = Object.entries(request.context ?? {});
  if (context.length > 0) {
    // one line per entry, each key and value one line of plain text: nothing can start a new line
    const lines = context.map(([k, v]) => `${plainLine(k)}: ${plainLine(v)}`).join('\n');
    blocks.push({
      type: 'section',
      block_id: 'jitvend_context',
      text: plain(`${CONTEXT_TITLE}${escapedWithin(lines, SLACK_LIMITS.sectionText - CONTEXT_TITLE.length)}`),
    });
  }
  blocks.push({ type: 'section', block_id: 'jitvend_policy', text: mrkdwn(policySection(request)) });
  return blocks;
}

function decisionButtons(request: AccessRequest): SlackBlock {
  return {
    type: 'actions',
    block_id: 'jitvend_decision',
    elements: [
      {
        type: 'button',
        action_id: SLACK_ACTION.approve,
        text: plain('Approve'),
        style: 'primary',
        value: request.id,
        confirm: {
          title: plain('Approve this request?'),
          text: plain(
            truncate(
              `The pipeline gets exactly the session policy shown, on ${request.profile}, for ${formatApprovalLength(request)}.`,
              300,
            ),
          ),
          confirm: plain('Approve'),
          deny: plain('Cancel'),
        },
      },
      {
        type: 'button',
        action_id: SLACK_ACTION.deny,
        text: plain('Deny'),
        style: 'danger',
        value: request.id,
      },
    ],
  };
}

const CONTEXT_TITLE = 'Context (from the pipeline)\n';
const POLICY_TITLE = '*Session policy* (exactly what the credentials will allow)\n';
const FENCE = '```';

/**
 * The exact session policy in a code block: pretty-printed when it fits, else compact
 * (STS caps it at 2,048 characters), else cut at a character boundary with a note saying so.
 */
function policySection(request: AccessRequest): string {
  const budget = SLACK_LIMITS.sectionText - POLICY_TITLE.length - 2 * FENCE.length - 2;
  const compact = JSON.stringify(request.sessionPolicy);
  for (const json of [JSON.stringify(request.sessionPolicy, null, 2), compact]) {
    const code = codeBlockText(json, budget);
    if (code.complete) return `${POLICY_TITLE}${FENCE}\n${code.text}\n${FENCE}`;
  }
  const note = `\n_Truncated: the full policy is in the request view (GET /requests/${escapeMrkdwn(request.id)})._`;
  const code = codeBlockText(compact, budget - note.length - 1);
  return `${POLICY_TITLE}${FENCE}\n${code.text}…\n${FENCE}${note}`;
}

/**
 * Text for inside a code block, at most `max` characters: escaped for mrkdwn, never cut
 * inside a character or an entity, and a ``` inside can never close the block early.
 */
function codeBlockText(text: string, max: number): { text: string; complete: boolean } {
  let out = '';
  let ticks = 0;
  for (const char of text) {
    let piece = escapeMrkdwn(char);
    if (char === '`') {
      if (ticks === 2) {
        piece = `\u200b${piece}`;
        ticks = 0;
      }
      ticks++;
    } else {
      ticks = 0;
    }
    if (out.length + piece.length > max) return { text: out, complete: false };
    out += piece;
  }
  return { text: out, complete: true };
}

function summaryLine(request: AccessRequest): string {
  const claims = request.requesterClaims;
  const repo = claims.repository ?? claims.project_path ?? request.requester;
  const by = claims.actor ?? claims.user_login ?? request.initiator;
  return (
    `${repo}${claims.ref ? ` ${claims.ref}` : ''}${by ? ` started by ${by}` : ''}` +
    `, ${formatApprovalLength(request)}, approvals ${approvalsSoFar(request)}. ` +
    `Reason: ${request.reason}. Request ${request.id}.`
  );
}

/** Shown in each reader's own time zone; the ISO time as the fallback. */
function slackDate(iso: string): string {
  const epoch = Math.floor(new Date(iso).getTime() / 1000);
  if (!Number.isFinite(epoch)) return escapeMrkdwn(iso);
  return `<!date^${epoch}^{date_short_pretty} at {time}|${escapeMrkdwn(iso)}>`;
}

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A labelled fact as plain text: the value (often pipeline-controlled) on one line, never markup. */
function field(label: string, value: string): TextObject {
  const head = `${label}\n`;
  return plain(`${head}${escapedWithin(plainLine(value), SLACK_LIMITS.field - head.length)}`);
}

function mrkdwn(text: string): TextObject {
  return { type: 'mrkdwn', text };
}

function plain(text: string): PlainText {
  return { type: 'plain_text', text, emoji: false };
}

/** The notification text (read as mrkdwn by Slack): one line, escaped, formatting marks neutralised. */
function fallback(text: string): string {
  return escapedWithin(neutralMarks(plainLine(text)), SLACK_LIMITS.fallbackText);
}

/**
 * mrkdwn has no escape for `*`, `_`, `~` and `` ` ``: in the one place where pipeline text must
 * be mrkdwn (the notification fallback), they become their full-width look-alikes.
 */
function neutralMarks(text: string): string {
  return text.replace(/[*_~`]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/** Escaped for mrkdwn within `max` characters, never cutting a character or an entity; `…` when cut. */
function escapedWithin(text: string, max: number): string {
  const whole = escapeMrkdwn(text);
  if (whole.length <= max) return whole;
  let out = '';
  for (const char of text) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** At most `max` UTF-16 units, never splitting a character, with `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out}…`;
}
