/**
 * Slack, locally: the approval message each approver would get goes to the outbox, with
 * the blocks and a response_url on the local stack itself. A tester "clicks" by POSTing a
 * signed interaction (see docs/slack.md) to /slack/interactions with that response_url; the
 * handler's message update then lands on POST /.local/slack/response, recorded in the
 * outbox too (`extra.update: true`).
 */
import { z } from 'zod';
import { type ApiResult, json, problem } from '../functions/http.ts';
import type { ApprovalChannel } from '../shared/adapters/notify/fanout-notifier.ts';
import {
  approvalRequestMessage,
  releasedMessage,
  reusedMessage,
  type SlackMessage,
} from '../shared/adapters/slack/blocks.ts';
import type { Clock } from '../shared/domain/ports.ts';
import { systemClock } from '../shared/domain/ports.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import type { Outbox } from './outbox.ts';

export const LOCAL_SLACK_RESPONSE_PATH = '/.local/slack/response';

export interface LocalSlackChannelDeps {
  outbox: Pick<Outbox, 'add'>;
  /** the local stack's base URL, e.g. http://127.0.0.1:8787 */
  publicUrl: string;
  clock?: Clock;
}

/**
 * The response_url of one local message: like Slack's, one per message; the query names
 * whose message and which request, so the recorded update can say so too.
 */
export function localResponseUrl(publicUrl: string, to: string, requestId: string): string {
  const query = new URLSearchParams({ to, requestId });
  return `${publicUrl.replace(/\/+$/, '')}${LOCAL_SLACK_RESPONSE_PATH}?${query}`;
}

/** The `slack` approval channel of the local stack: one outbox message per approver with a Slack id. */
export function localSlackChannel(deps: LocalSlackChannelDeps): ApprovalChannel {
  const clock = deps.clock ?? systemClock;
  return {
    name: 'slack',
    send: (request, approvers) => post(request, approvalRequestMessage(request), approvers),
    // the requester released it: a new message to the same approvers (update: false)
    ended: (request, approvers) => post(request, releasedMessage(request), approvers),
    // an approval covered another job of its run (approval reuse): a new message to its approvers
    reused: (original, request, jobs, approvers) =>
      post(request, reusedMessage(original, request, jobs), approvers),
  };

  async function post(
    request: Parameters<ApprovalChannel['send']>[0],
    message: SlackMessage,
    approvers: Parameters<ApprovalChannel['send']>[1],
  ): Promise<string> {
    const targets = [...new Set(approvers.flatMap((p) => (p.slack ? [p.slack] : [])))];
    for (const to of targets) {
      deps.outbox.add({
        channel: 'slack',
        to,
        requestId: request.id,
        text: message.text,
        at: clock.now().toISOString(),
        extra: { blocks: message.blocks, response_url: localResponseUrl(deps.publicUrl, to, request.id) },
      });
    }
    if (targets.length === 0) return 'no approver has a Slack id';
    return `sent to ${targets.length} approver${targets.length === 1 ? '' : 's'} (local outbox)`;
  }
}

const responseBody = z.object({
  text: z.string().max(40_000).default(''),
  blocks: z.array(z.unknown()).max(50).optional(),
  replace_original: z.boolean().optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
});
const slackId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);

/** POST /.local/slack/response: what the handler would have sent to Slack's response_url, into the outbox. */
export function recordSlackResponse(
  outbox: Pick<Outbox, 'add'>,
  url: URL,
  body: string,
  clock: Clock = systemClock,
): ApiResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return problem(400, 'body: not valid JSON');
  }
  const parsed = responseBody.safeParse(value);
  if (!parsed.success) return problem(400, `body: ${describeIssues(parsed.error.issues).join('; ')}`);
  const to = slackId.safeParse(url.searchParams.get('to'));
  const requestId = slackId.safeParse(url.searchParams.get('requestId'));
  const { text, ...rest } = parsed.data;
  outbox.add({
    channel: 'slack',
    to: to.success ? to.data : 'unknown',
    requestId: requestId.success ? requestId.data : 'unknown',
    text,
    at: clock.now().toISOString(),
    extra: { update: true, ...rest },
  });
  return json(200, { ok: true });
}
