/**
 * The Slack approval channel: posts the approval message with Slack's Web API
 * (`chat.postMessage`), as a direct message to each approver that has a Slack id, or once
 * to a configured channel. Decisions come back through POST /slack/interactions.
 */
import { LogLevel, type RetryOptions, WebClient } from '@slack/web-api';
import type { Person } from '../../domain/profile.ts';
import type { AccessRequest } from '../../domain/types.ts';
import type { ApprovalChannel } from '../notify/fanout-notifier.ts';
import { approvalRequestMessage, releasedMessage, reusedMessage, type SlackMessage } from './blocks.ts';

export interface SlackChannelOptions {
  /** the Slack app's bot token (`xoxb-…`), with the `chat:write` and `im:write` scopes */
  token: string;
  /** post once to this channel (id like `C0123456789`) instead of messaging each approver */
  channel?: string;
  /** Slack's Web API base URL; tests point it at a local fake (default https://slack.com/api/) */
  slackApiUrl?: string;
  /** per-call timeout in ms (default 5000) */
  timeoutMs?: number;
  /** retries of failed HTTP calls (default: 2 quick retries; Slack errors such as `channel_not_found` are never retried) */
  retryConfig?: RetryOptions;
  /** a ready client (tests); built from the options above otherwise */
  client?: WebClient;
}

const DEFAULT_RETRIES: RetryOptions = { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 };

export class SlackApprovalChannel implements ApprovalChannel {
  readonly name = 'slack';
  private readonly client: WebClient;
  private readonly channel: string | undefined;

  constructor(options: SlackChannelOptions) {
    if (!options.client && options.token.trim() === '') {
      throw new Error('slack channel: the bot token is empty (set the Slack bot token secret)');
    }
    this.channel = options.channel?.trim() || undefined;
    this.client =
      options.client ??
      new WebClient(options.token, {
        ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
        timeout: options.timeoutMs ?? 5000,
        retryConfig: options.retryConfig ?? DEFAULT_RETRIES,
        // a 429 fails the call at once instead of sleeping inside the workflow step
        rejectRateLimitedCalls: true,
        // method names only: a request can never be sent to another host with the token
        allowAbsoluteUrls: false,
        logLevel: LogLevel.ERROR,
      });
  }

  async send(request: AccessRequest, approvers: Person[]): Promise<string> {
    return this.sendMessage(approvalRequestMessage(request), approvers);
  }

  /** The request ended early (released by its requester): the same conversations learn it. */
  async ended(request: AccessRequest, approvers: Person[]): Promise<string> {
    return this.sendMessage(releasedMessage(request), approvers);
  }

  /** An approval of `original` approved another job of its run: its approvers learn how many it covers. */
  async reused(
    original: AccessRequest,
    request: AccessRequest,
    jobs: number,
    approvers: Person[],
  ): Promise<string> {
    return this.sendMessage(reusedMessage(original, request, jobs), approvers);
  }

  private async sendMessage(message: SlackMessage, approvers: Person[]): Promise<string> {
    if (this.channel) {
      const channel = this.channel;
      await this.post(channel, message).catch((error: unknown) => {
        throw new Error(`slack chat.postMessage to ${channel} failed: ${describe(error)}`);
      });
      return `posted to channel ${channel}`;
    }
    const targets = [...new Set(approvers.flatMap((p) => (p.slack ? [p.slack] : [])))];
    if (targets.length === 0) return 'no approver has a Slack id';
    const results = await Promise.allSettled(targets.map((userId) => this.post(userId, message)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${targets[i]} (${describe(r.reason)})`] : [],
    );
    const sent = targets.length - failed.length;
    if (sent === 0) throw new Error(`slack chat.postMessage failed for ${failed.join(', ')}`);
    return `sent to ${sent} approver${sent === 1 ? '' : 's'}${failed.length > 0 ? `; failed for ${failed.join(', ')}` : ''}`;
  }

  private async post(channel: string, message: SlackMessage): Promise<void> {
    await this.client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
  }
}

/** The Slack error code (`channel_not_found`, `invalid_auth`, …) or a short cause; never the token. */
function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as {
      code?: unknown;
      data?: { error?: unknown };
      statusCode?: unknown;
      message?: unknown;
    };
    if (typeof e.data?.error === 'string') return e.data.error;
    if (typeof e.statusCode === 'number') return `HTTP ${e.statusCode}`;
    if (e.code === 'slack_webapi_rate_limited_error') return 'rate limited';
    if (e.code === 'slack_webapi_request_error') return 'Slack could not be reached';
    if (typeof e.message === 'string')
      return e.message.replace(/xox[a-z]-[A-Za-z0-9-]+/g, 'xox?-…').slice(0, 200);
  }
  return 'unknown error';
}

export function slackChannel(options: SlackChannelOptions): ApprovalChannel {
  return new SlackApprovalChannel(options);
}
