/**
 * Slack's interactivity callback (a button click): the payload as Slack posts it, and the
 * answer posted back to the payload's `response_url`, which must be Slack's (or, on a
 * loopback local stack only, the local stack's own /.local/slack/ stand-in): no SSRF.
 */
import { z } from 'zod';
import { ValidationError } from '../../domain/errors.ts';
import { ID_PATTERN } from '../../domain/limits.ts';
import { describeIssues } from '../../zod-issues.ts';
import { SLACK_ACTION, type SlackActionId, type SlackBlock } from './blocks.ts';

export interface SlackInteraction {
  /** the Slack user who clicked */
  userId: string;
  teamId?: string;
  action: SlackActionId;
  requestId: string;
  responseUrl: string;
}

const payloadSchema = z.object({
  type: z.literal('block_actions', { error: 'only block_actions payloads are handled' }),
  user: z.object({ id: z.string().regex(/^[A-Z0-9]{2,32}$/, 'not a Slack user id') }),
  team: z.object({ id: z.string().max(32) }).nullish(),
  response_url: z.string().min(1).max(2048),
  actions: z
    .array(
      z.object({
        action_id: z.enum([SLACK_ACTION.approve, SLACK_ACTION.deny, SLACK_ACTION.revoke]),
        value: z.string().regex(ID_PATTERN, 'not a request id'),
      }),
    )
    .min(1),
});

/** The form-encoded body (`payload=<json>`) of an already verified interaction; a ValidationError (400) otherwise. */
export function parseInteraction(body: string): SlackInteraction {
  const payload = new URLSearchParams(body).get('payload');
  if (payload === null) throw new ValidationError('body: the form field payload is required');
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw new ValidationError('payload: not valid JSON');
  }
  const parsed = payloadSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`payload: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  const { user, team, response_url: responseUrl, actions } = parsed.data;
  const action = actions[0]!;
  return {
    userId: user.id,
    ...(team?.id ? { teamId: team.id } : {}),
    action: action.action_id,
    requestId: action.value,
    responseUrl,
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The response_url as a URL when it may be called: Slack's `https://hooks.slack.com/…`,
 * or the local stack's own `/.local/slack/…` when the API itself is served on loopback.
 */
export function allowedResponseUrl(responseUrl: string, publicUrl: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '') return undefined;
  if (url.protocol === 'https:' && url.hostname === 'hooks.slack.com' && url.port === '') return url;
  let own: URL;
  try {
    own = new URL(publicUrl);
  } catch {
    return undefined;
  }
  const local = own.protocol === 'http:' && LOOPBACK_HOSTS.has(own.hostname);
  if (local && url.origin === own.origin && url.pathname.startsWith('/.local/slack/')) return url;
  return undefined;
}

/** What jitvend posts to a response_url (https://api.slack.com/interactivity/handling#message_responses). */
export type SlackResponse =
  | { replace_original: true; text: string; blocks: SlackBlock[] }
  | { response_type: 'ephemeral'; replace_original: false; text: string };

export function replaceWith(message: { text: string; blocks: SlackBlock[] }): SlackResponse {
  return { replace_original: true, text: message.text, blocks: message.blocks };
}

export function ephemeral(text: string): SlackResponse {
  return { response_type: 'ephemeral', replace_original: false, text };
}

/** Slack wants an answer within 3 s: the update gets at most this long. */
export const RESPONSE_URL_TIMEOUT_MS = 2000;

/**
 * Posts the answer, bounded in time and without following redirects. Never throws: the
 * result says what went wrong, for the log (the URL is not included: it is a bearer capability).
 */
export async function postResponse(
  url: URL,
  response: SlackResponse,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const doFetch = options.fetch ?? fetch;
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(response),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? RESPONSE_URL_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true } : { ok: false, reason: `HTTP ${res.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    return {
      ok: false,
      reason: name === 'TimeoutError' || name === 'AbortError' ? 'timed out' : `request failed (${name})`,
    };
  }
}
