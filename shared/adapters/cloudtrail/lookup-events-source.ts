/**
 * Finds a session's CloudTrail records with LookupEvents (CloudTrail event history: the last
 * 90 days of management events, per region, no trail needed).
 *
 * - The session's calls: `LookupAttributes: [{Username: jitvend-<id>}]` (for an assumed-role
 *   session, event history's user name is the role session name, which jitvend sets to the
 *   source identity), between the window's StartTime and EndTime.
 * - The AssumeRole call that started it was made by the vending role, under another user name:
 *   `ResourceName` = the target role's ARN, within a few minutes of the issue time.
 * Each lookup pages with NextToken (50 records a page) up to `maxPages`, paces its calls under
 * LookupEvents' limit of 2 per second per account and region, and backs off on
 * ThrottlingException. A page budget or the time budget being reached marks the answer
 * `truncated`. Which records belong to the session is decided by the domain, exactly on
 * `userIdentity.sessionContext.sourceIdentity` (a session name is not proof; a source identity is).
 */
import {
  CloudTrailClient,
  type LookupAttribute,
  LookupEventsCommand,
  type LookupEventsCommandInput,
  type LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import type { UsageSource } from '../../domain/ports.ts';
import type {
  CloudTrailEvent,
  TimeWindow,
  UsageEvents,
  UsageWindow,
} from '../../domain/usage/session-records.ts';
import { MANAGEMENT_EVENTS_ONLY_NOTE, mayBelongTo, parseRecord } from './records.ts';

/** LookupEvents' largest page. */
export const LOOKUP_PAGE_SIZE = 50;
/** LookupEvents allows 2 requests per second per account and region: one every 500 ms, plus margin. */
export const LOOKUP_MIN_INTERVAL_MS = 550;

export interface LookupEventsSourceOptions {
  /** one client per region to search (default: one client in the function's own region) */
  clients?: CloudTrailClient[];
  /** pages per lookup (default 20: 1,000 records) */
  maxPages?: number;
  /** give up (truncated) after this long, to answer within API Gateway's 29 s (default 20 s) */
  budgetMs?: number;
  /** retries of a throttled call, doubling the pause each time (default 4) */
  throttleRetries?: number;
  minIntervalMs?: number;
  /** say in each answer that data events are missing (default true; false when a trail's S3 logs are read too) */
  managementEventsOnlyNote?: boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

let defaultClient: CloudTrailClient | undefined;
function sharedClient(): CloudTrailClient {
  defaultClient ??= new CloudTrailClient({});
  return defaultClient;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The SDK's names for CloudTrail refusing a call for its rate. */
function isThrottling(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.name === 'ThrottlingException' ||
    e?.name === 'Throttling' ||
    e?.name === 'TooManyRequestsException' ||
    e?.$metadata?.httpStatusCode === 429
  );
}

export class CloudTrailLookupEventsSource implements UsageSource {
  private readonly clients: CloudTrailClient[];
  private readonly maxPages: number;
  private readonly budgetMs: number;
  private readonly throttleRetries: number;
  private readonly minIntervalMs: number;
  private readonly notes: string[];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  /** when each client last sent a call: the rate limit is per region, so is the pacing */
  private readonly lastCall = new Map<CloudTrailClient, number>();

  constructor(options: LookupEventsSourceOptions = {}) {
    this.clients = options.clients?.length ? options.clients : [sharedClient()];
    this.maxPages = options.maxPages ?? 20;
    this.budgetMs = options.budgetMs ?? 20_000;
    this.throttleRetries = options.throttleRetries ?? 4;
    this.minIntervalMs = options.minIntervalMs ?? LOOKUP_MIN_INTERVAL_MS;
    this.notes = options.managementEventsOnlyNote === false ? [] : [MANAGEMENT_EVENTS_ONLY_NOTE];
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  async eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents> {
    const deadline = this.now() + this.budgetMs;
    const perRegion = await Promise.all(
      this.clients.map((client) => this.searchRegion(client, sourceIdentity, window, deadline)),
    );
    return {
      events: perRegion.flatMap((r) => r.events),
      truncated: perRegion.some((r) => r.truncated),
      source: `cloudtrail:LookupEvents (${perRegion.map((r) => r.region).join(', ')})`,
      notes: this.notes,
    };
  }

  private async searchRegion(
    client: CloudTrailClient,
    sourceIdentity: string,
    window: UsageWindow,
    deadline: number,
  ): Promise<{ region: string; events: CloudTrailEvent[]; truncated: boolean }> {
    const region = await client.config.region();
    const calls = await this.lookup(
      client,
      { AttributeKey: 'Username', AttributeValue: sourceIdentity },
      window,
      sourceIdentity,
      deadline,
    );
    let truncated = calls.truncated;
    const events = calls.events;
    if (window.assumeRole) {
      const assume = await this.lookup(
        client,
        { AttributeKey: 'ResourceName', AttributeValue: window.assumeRole.roleArn },
        window.assumeRole,
        sourceIdentity,
        deadline,
      );
      events.push(...assume.events);
      // more AssumeRole records of the role than the budget only matters if ours was not among them
      truncated ||= assume.truncated && !assume.events.some((e) => e.eventName === 'AssumeRole');
    }
    return { region, events, truncated };
  }

  /** One lookup, every page (up to the budget), keeping the records that may be the session's. */
  private async lookup(
    client: CloudTrailClient,
    attribute: LookupAttribute,
    window: TimeWindow,
    sourceIdentity: string,
    deadline: number,
  ): Promise<{ events: CloudTrailEvent[]; truncated: boolean }> {
    const events: CloudTrailEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.maxPages; page++) {
      // a call that could only start after the budget is not sent at all
      if (this.nextSlot(client) >= deadline) return { events, truncated: true };
      const output = await this.send(
        client,
        {
          LookupAttributes: [attribute],
          StartTime: window.from,
          EndTime: window.to,
          MaxResults: LOOKUP_PAGE_SIZE,
          ...(nextToken ? { NextToken: nextToken } : {}),
        },
        deadline,
      );
      if (!output) return { events, truncated: true };
      for (const event of output.Events ?? []) {
        const record = parseRecord(event.CloudTrailEvent);
        if (record && mayBelongTo(record, sourceIdentity)) events.push(record);
      }
      nextToken = output.NextToken;
      if (!nextToken) return { events, truncated: false };
    }
    return { events, truncated: true };
  }

  /** the earliest time the next call through this client may go (per-region pacing) */
  private nextSlot(client: CloudTrailClient): number {
    return Math.max(this.now(), (this.lastCall.get(client) ?? Number.NEGATIVE_INFINITY) + this.minIntervalMs);
  }

  /**
   * One call, paced, retried while throttled. `undefined` when a retry could only happen after
   * the deadline (the caller answers with what it has, truncated); the SDK error once the
   * retries are spent.
   */
  private async send(
    client: CloudTrailClient,
    input: LookupEventsCommandInput,
    deadline: number,
  ): Promise<LookupEventsCommandOutput | undefined> {
    for (let attempt = 0; ; attempt++) {
      const wait = this.nextSlot(client) - this.now();
      if (wait > 0) await this.sleep(wait);
      this.lastCall.set(client, this.now());
      try {
        return await client.send(new LookupEventsCommand(input));
      } catch (error) {
        if (!isThrottling(error) || attempt >= this.throttleRetries) throw error;
        const pause = this.minIntervalMs * 2 ** (attempt + 1);
        if (this.now() + pause >= deadline) return undefined;
        await this.sleep(pause);
      }
    }
  }
}
