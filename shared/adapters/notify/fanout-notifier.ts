import type { ApprovalNotifier, Logger } from '../../domain/ports.ts';
import type { Person } from '../../domain/profile.ts';
import type { AccessRequest } from '../../domain/types.ts';
import type { NotificationLedger } from './notification-ledger.ts';

export interface ApprovalChannel {
  /** `slack`, `email`, … */
  name: string;
  /** Sends to the approvers this channel can reach; resolves with a short summary. */
  send(request: AccessRequest, approvers: Person[]): Promise<string>;
  /** Tells the same approvers the request ended early (released); channels without it skip. */
  ended?(request: AccessRequest, approvers: Person[]): Promise<string>;
  /** Tells the approvers of `original` it approved `request` by reuse, covering `jobs` jobs; channels without it skip. */
  reused?(
    original: AccessRequest,
    request: AccessRequest,
    jobs: number,
    approvers: Person[],
  ): Promise<string>;
}

/**
 * Notifies approvers on every configured channel at once. One channel failing (Slack down)
 * never stops the others nor the request: the failure is logged and reported for the audit.
 * With a ledger, each approver is asked once per request and channel: a retried or resumed
 * AwaitApproval sends nothing (and no second approval link) to whom it already reached.
 */
export class FanoutNotifier implements ApprovalNotifier {
  constructor(
    private readonly channels: ApprovalChannel[],
    private readonly logger: Logger,
    private readonly ledger?: NotificationLedger,
  ) {}

  async requestApproval(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>> {
    return this.fanOut(request, this.channels, (c) => this.sendOnce(c, request, approvers));
  }

  private async sendOnce(
    channel: ApprovalChannel,
    request: AccessRequest,
    approvers: Person[],
  ): Promise<string> {
    if (!this.ledger) return channel.send(request, approvers);
    const ledger = this.ledger;
    const fresh: Person[] = [];
    for (const person of approvers) {
      if (await ledger.claim(request.id, channel.name, person.name)) fresh.push(person);
    }
    if (fresh.length === 0) return 'already notified';
    try {
      return await channel.send(request, fresh);
    } catch (error) {
      // not sent: the next attempt may try these people again
      await Promise.allSettled(fresh.map((p) => ledger.unclaim(request.id, channel.name, p.name)));
      throw error;
    }
  }

  async requestEnded(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>> {
    const channels = this.channels.filter((c) => c.ended !== undefined);
    return this.fanOut(request, channels, (c) => c.ended!(request, approvers));
  }

  async approvalReused(
    original: AccessRequest,
    request: AccessRequest,
    jobs: number,
    approvers: Person[],
  ): Promise<Record<string, string>> {
    const channels = this.channels.filter((c) => c.reused !== undefined);
    return this.fanOut(request, channels, (c) => c.reused!(original, request, jobs, approvers));
  }

  private async fanOut(
    request: AccessRequest,
    channels: ApprovalChannel[],
    send: (channel: ApprovalChannel) => Promise<string>,
  ): Promise<Record<string, string>> {
    const results = await Promise.allSettled(channels.map(send));
    const report: Record<string, string> = {};
    results.forEach((result, i) => {
      const name = channels[i]!.name;
      if (result.status === 'fulfilled') {
        report[name] = result.value;
      } else {
        const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
        report[name] = `failed: ${message.slice(0, 200)}`;
        this.logger.error('approval notification failed', {
          channel: name,
          requestId: request.id,
          error: message,
        });
      }
    });
    return report;
  }
}
